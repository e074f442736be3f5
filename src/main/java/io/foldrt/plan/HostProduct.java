package io.foldrt.plan;

import io.foldrt.ir.Tensor;
import java.util.Arrays;

/** The host implementation of {@link FoldEngine#multiply}: float64 accumulation in ascending K order. */
final class HostProduct {
    private HostProduct() {}

    static Tensor multiply(Tensor a, boolean transA, Tensor b, boolean transB, double alpha) {
        Shape s = Shape.of(a, transA, b, transB);
        int m = s.m(), k = s.k(), n = s.n();
        float[] x = a.data(), y = b.data(), c = new float[m * n];
        double[] row = new double[n];
        for (int i = 0; i < m; i++) {
            Arrays.fill(row, 0);
            for (int p = 0; p < k; p++) {
                double av = transA ? x[p * m + i] : x[i * k + p];
                for (int j = 0; j < n; j++) row[j] += av * (transB ? y[j * k + p] : y[p * n + j]);
            }
            for (int j = 0; j < n; j++) c[i * n + j] = (float) (alpha * row[j]);
        }
        return new Tensor(new int[] {m, n}, c);
    }

    /** {M, K, N} of {@code op(A) · op(B)}, checked. */
    record Shape(int m, int k, int n) {
        static Shape of(Tensor a, boolean transA, Tensor b, boolean transB) {
            if (a.shape().length != 2 || b.shape().length != 2) {
                throw new IllegalArgumentException("multiply needs two matrices, got shapes "
                        + Arrays.toString(a.shape()) + " and " + Arrays.toString(b.shape()));
            }
            int m = transA ? a.dim(1) : a.dim(0), k = transA ? a.dim(0) : a.dim(1);
            int kb = transB ? b.dim(1) : b.dim(0), n = transB ? b.dim(0) : b.dim(1);
            if (k != kb) {
                throw new IllegalArgumentException("multiply: op(A) is " + m + "x" + k + " but op(B) is " + kb + "x" + n);
            }
            return new Shape(m, k, n);
        }
    }
}
