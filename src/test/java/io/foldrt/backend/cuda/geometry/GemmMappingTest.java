package io.foldrt.backend.cuda.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The row-major-to-cuBLAS mapping, run through a Java model of column-major SGEMM (the BLAS definition with
 * leading dimensions), against a plain row-major matmul.
 */
class GemmMappingTest {

    @Test
    void allTransposeCombinationsGiveTheRowMajorProduct() {
        SplittableRandom rng = new SplittableRandom(6);
        for (int t = 0; t < 200; t++) {
            int m = rng.nextInt(1, 7), n = rng.nextInt(1, 7), k = rng.nextInt(1, 7);
            boolean ta = rng.nextBoolean(), tb = rng.nextBoolean();
            float alpha = (float) rng.nextDouble(-2, 2), beta = (float) rng.nextDouble(-2, 2);
            float[] a = random(rng, m * k), b = random(rng, k * n), c0 = random(rng, m * n);
            float[] expected = new float[m * n];
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) acc += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                    expected[i * n + j] = (float) (alpha * acc + beta * c0[i * n + j]);
                }
            GemmMapping g = GemmMapping.rowMajor(m, n, k, ta, tb);
            float[] y = c0.clone();
            // cuBLAS's first operand is our B, its second our A
            columnMajorSgemm(g.transa(), g.transb(), g.m(), g.n(), g.k(), alpha, b, g.lda(), a, g.ldb(), beta, y, g.ldc());
            assertArrayEquals(expected, y, 1e-4f, g + " ta=" + ta + " tb=" + tb);
        }
    }

    @Test
    void linearLayerMapping() {
        // y[N=4, out=3] = x[4, 5] * W[3, 5]^T (PyTorch Linear, Gemm transB=1)
        GemmMapping g = GemmMapping.rowMajor(4, 3, 5, false, true);
        assertEquals(new GemmMapping(GemmMapping.OP_T, GemmMapping.OP_N, 3, 4, 5, 5, 5, 3), g);
    }

    /** Reference BLAS: C(m x n) = alpha op(A)(m x k) op(B)(k x n) + beta C, all column-major. */
    static void columnMajorSgemm(int transa, int transb, int m, int n, int k, float alpha, float[] a, int lda,
                                 float[] b, int ldb, float beta, float[] c, int ldc) {
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    float av = transa == GemmMapping.OP_N ? a[i + p * lda] : a[p + i * lda];
                    float bv = transb == GemmMapping.OP_N ? b[p + j * ldb] : b[j + p * ldb];
                    acc += av * bv;
                }
                c[i + j * ldc] = (float) (alpha * acc + beta * c[i + j * ldc]);
            }
    }

    static float[] random(SplittableRandom rng, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) rng.nextDouble(-1, 1);
        return f;
    }
}
