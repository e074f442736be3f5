package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Runs graphs on the CPU backend and on the float64 {@link ReferenceInterpreter} and compares them.
 *
 * <p>Tolerance (fixed for every test, not tuned per case): the relative L2 error
 * {@code ||y - ref|| / ||ref||} must be at most 1e-5, every element must satisfy
 * {@code |y - ref| <= 1e-4 * max|ref| + 1e-6}, and any NaN fails.
 */
final class Oracle {
    static final double MAX_REL_L2 = 1e-5;
    static final double ELEM_REL = 1e-4;
    static final double ELEM_ABS = 1e-6;

    private Oracle() {}

    /** Seeded uniform inputs in [-1, 1) for every graph input at {@code batch}: never all zeros. */
    static Map<String, Tensor> inputs(Graph g, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (ValueInfo v : g.inputs()) {
            if (!g.initializers().containsKey(v.name())) {
                in.put(v.name(), Tensor.random(rng, -1f, 1f, Shapes.bind(v.shape(), batch)));
            }
        }
        return in;
    }

    /** The GEMM kernels this JVM can run: both where the Vector API module is present (as in the build). */
    static List<String> kernels() {
        return MicroKernel.vectorAvailable() ? List.of("vector", "loops") : List.of("loops");
    }

    /**
     * Compiles and runs {@code g} with {@code threads} threads once per GEMM kernel, checks every output
     * against the reference; returns the last run's outputs.
     */
    static Map<String, Tensor> check(Graph g, int batch, int threads) {
        Map<String, Tensor> in = inputs(g, batch, 1234 + batch);
        var ref = ReferenceInterpreter.run(g, in);
        Map<String, Tensor> got = null;
        for (String kernel : kernels()) {
            try (CpuBackend cpu = new CpuBackend(threads, MicroKernel.select(kernel));
                 CpuExecutable exe = cpu.compile(g, batch)) {
                got = exe.run(in);
                assertEquals(ref.keySet(), got.keySet());
                for (var e : ref.entrySet()) {
                    compare(g.name() + ":" + e.getKey() + " (" + kernel + " kernel)", e.getValue(), got.get(e.getKey()));
                }
            }
        }
        return got;
    }

    static Map<String, Tensor> check(Graph g) {
        return check(g, 1, 2);
    }

    static void compare(String what, ReferenceInterpreter.DTensor ref, Tensor got) {
        assertTrue(Arrays.equals(ref.shape(), got.shape()),
                what + ": shape " + Arrays.toString(got.shape()) + " != reference " + Arrays.toString(ref.shape()));
        double[] r = ref.data();
        float[] y = got.data();
        double maxRef = 0, diff2 = 0, ref2 = 0;
        for (double v : r) {
            assertFalse(Double.isNaN(v), what + ": reference produced NaN (bad test input)");
            maxRef = Math.max(maxRef, Math.abs(v));
        }
        double bound = ELEM_REL * maxRef + ELEM_ABS;
        for (int i = 0; i < r.length; i++) {
            if (Float.isNaN(y[i])) fail(what + ": NaN at element " + i);
            double d = y[i] - r[i];
            if (Math.abs(d) > bound) {
                fail(what + ": element " + i + " is " + y[i] + ", reference " + r[i] + " (allowed +-" + bound + ")");
            }
            diff2 += d * d;
            ref2 += r[i] * r[i];
        }
        double rel = ref2 == 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2);
        assertTrue(rel <= MAX_REL_L2, what + ": relative L2 error " + rel + " > " + MAX_REL_L2);
    }
}
