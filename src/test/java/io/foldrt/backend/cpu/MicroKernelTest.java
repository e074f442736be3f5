package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.foldrt.ir.ModelException;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Both GEMM micro-kernels against a float64 sum, over depths and widths that hit every block edge (odd depth
 * tails, one vector, a partial vector, 2- and 3-vector blocks and their tails, the whole NR row), and the columns a kernel may
 * not touch. Tolerance: 1e-5 relative to the sum of absolute products (float32 accumulation of kc terms).
 */
class MicroKernelTest {
    private static final float SENTINEL = 12345.5f;

    @Test
    void bothKernelsMatchAFloat64SumAndLeaveOtherColumnsAlone() {
        SplittableRandom rng = new SplittableRandom(7);
        for (String name : Oracle.kernels()) {
            MicroKernel k = MicroKernel.select(name);
            for (int from = 0; from < Sgemm.NR; from += Math.max(k.columnBlock(), Sgemm.NR / 2)) {
                for (int kc : new int[] {1, 3, 8, 9, 17, Sgemm.KC}) {
                    for (int nc : new int[] {1, 5, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 65, 80, 96, 100, 113, Sgemm.NR - 1, Sgemm.NR}) {
                        if (from + nc <= Sgemm.NR) check(k, kc, from, nc, rng);
                    }
                }
            }
        }
    }

    private static void check(MicroKernel k, int kc, int from, int nc, SplittableRandom rng) {
        int mr = Sgemm.MR, rowsBefore = 3, ao = 5;
        float[] a = new float[ao + kc * mr];
        for (int i = 0; i < a.length; i++) a[i] = (float) rng.nextDouble(-1, 1);
        float[][] b = new float[kc][Sgemm.NR];
        for (float[] row : b) for (int j = 0; j < row.length; j++) row[j] = (float) rng.nextDouble(-1, 1);
        float[][] acc = new float[rowsBefore + mr + 1][Sgemm.NR];
        float[][] start = new float[acc.length][Sgemm.NR];
        int touched = k.columnsTouched(nc), end = from + touched;
        assertTrue(touched >= nc && end <= Sgemm.NR, k.describe() + ": columnsTouched(" + nc + ") = " + touched);
        for (int r = 0; r < acc.length; r++) {
            for (int j = 0; j < Sgemm.NR; j++) {
                boolean inBlock = r >= rowsBefore && r < rowsBefore + mr && j >= from && j < end;
                acc[r][j] = start[r][j] = inBlock ? (float) rng.nextDouble(-1, 1) : SENTINEL;
            }
        }
        k.multiply(a, ao, kc, b, acc, rowsBefore, from, nc);
        String what = k.describe() + " kc=" + kc + " from=" + from + " nc=" + nc;
        for (int r = 0; r < acc.length; r++) {
            boolean panelRow = r >= rowsBefore && r < rowsBefore + mr;
            for (int j = 0; j < Sgemm.NR; j++) {
                if (!panelRow || j < from || j >= end) {
                    assertEquals(SENTINEL, acc[r][j], what + ": touched row " + r + " column " + j);
                } else if (j < from + nc) {
                    int i = r - rowsBefore;
                    double sum = start[r][j], mag = Math.abs(start[r][j]);
                    for (int t = 0; t < kc; t++) {
                        double p = (double) a[ao + t * mr + i] * b[t][j];
                        sum += p;
                        mag += Math.abs(p);
                    }
                    if (!(Math.abs(acc[r][j] - sum) <= 1e-5 * mag)) {
                        fail(what + ": row " + i + " column " + j + " is " + acc[r][j] + ", float64 sum " + sum);
                    }
                }
            }
        }
    }

    @Test
    void kernelOptionIsValidated() {
        var e = assertThrows(ModelException.class, () -> MicroKernel.select("fast"));
        assertEquals("cpu backend option kernel must be auto, vector or loops, got 'fast'", e.getMessage());
        assertEquals(MicroKernel.vectorAvailable() ? "vector" : "loops",
                MicroKernel.select("auto").describe().split(" ")[0]);
    }

    @Test
    void theBuildRunsTestsWithTheVectorModule() {
        // surefire passes --add-modules jdk.incubator.vector; without it the vector kernel would go untested.
        assertTrue(MicroKernel.vectorAvailable(), "tests must run with " + MicroKernel.VECTOR_FLAG);
    }
}
