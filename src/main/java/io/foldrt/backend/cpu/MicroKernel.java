package io.foldrt.backend.cpu;

import io.foldrt.ir.ModelException;

/**
 * The innermost GEMM loop: one {@link Sgemm#MR}-row panel of A times a block of B rows, added into MR
 * accumulator rows. Two implementations, chosen per backend by the {@code kernel} option:
 * <ul>
 *   <li>{@code vector}: the incubating Vector API, which keeps an MR x 3-vector block of C in registers for the
 *       whole depth slice (about 4x the other on AVX-512). Needs the JVM flag
 *       {@code --add-modules jdk.incubator.vector}; the launcher, tests and benchmarks pass it.</li>
 *   <li>{@code loops}: plain Java loops that C2 auto-vectorizes; works on any JVM.</li>
 * </ul>
 * {@code auto} (the default) takes {@code vector} where the module is present. Depthwise convolution follows
 * the same choice ({@link #usesVectorApi}).
 */
interface MicroKernel {
    /** The JVM flag that makes the vector kernel available. */
    String VECTOR_FLAG = "--add-modules jdk.incubator.vector";

    /**
     * {@code acc[r + i][j] += sum_k a[ao + k*MR + i] * b[k][j]} for {@code i < MR, k < kc}, and at least
     * {@code from <= j < from + n}, where {@code from} is a multiple of {@link #columnBlock}. A kernel may compute
     * columns up to {@code from + columnsTouched(n)}: every row of {@code acc} and {@code b} must be that long,
     * and those extra columns of {@code acc} are scratch.
     */
    void multiply(float[] a, int ao, int kc, float[][] b, float[][] acc, int r, int from, int n);

    /** How many accumulator columns {@link #multiply} reads and writes for {@code n} requested columns. */
    int columnsTouched(int n);

    /**
     * Columns per call that the GEMM loop hands this kernel: narrow enough for the vector kernel that a block
     * of B rows stays in L1 across all row panels, the whole row for the loop kernel, which wants long rows.
     */
    int columnBlock();

    /** Short name for reports, such as "vector 512-bit". */
    String describe();

    /**
     * True for the Vector API kernel. Other steps with a Vector API variant (depthwise convolution) follow
     * this choice, so that with {@code loops} no Vector API class is ever loaded.
     */
    boolean usesVectorApi();

    /** The kernel for option value {@code auto}, {@code vector} or {@code loops}. */
    static MicroKernel select(String option) {
        return switch (option) {
            case "auto" -> vectorAvailable() ? new VectorMicroKernel() : new LoopMicroKernel();
            case "vector" -> {
                if (!vectorAvailable()) {
                    throw new ModelException("cpu backend option kernel=vector needs the JVM flag " + VECTOR_FLAG);
                }
                yield new VectorMicroKernel();
            }
            case "loops" -> new LoopMicroKernel();
            default -> throw new ModelException(
                    "cpu backend option kernel must be auto, vector or loops, got '" + option + "'");
        };
    }

    static boolean vectorAvailable() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }
}
