package io.foldrt.backend.cuda.geometry;

import java.util.ArrayList;
import java.util.List;

/**
 * A numpy-semantics MatMul as a list of row-major GEMMs on element offsets. When B is a plain matrix, all
 * of A's leading dims fold into M and one GEMM does the whole batch (the usual Linear-as-MatMul case);
 * otherwise there is one GEMM per broadcast batch index.
 */
public record MatMulPlan(int m, int n, int k, List<Call> calls) {
    /** Element offsets of one GEMM's A, B and Y. */
    public record Call(long a, long b, long y) {}

    public static MatMulPlan of(int[] a, int[] b, int[] out) {
        int r = out.length;
        int m = out[r - 2], n = out[r - 1], k = a[a.length - 1];
        if (b.length == 2) {
            long rows = 1;
            for (int i = 0; i < a.length - 1; i++) rows *= a[i];
            return new MatMulPlan(Math.toIntExact(rows), n, k, List.of(new Call(0, 0, 0)));
        }
        int batches = 1;
        for (int i = 0; i < r - 2; i++) batches *= out[i];
        List<Call> calls = new ArrayList<>(batches);
        for (int bi = 0; bi < batches; bi++) {
            calls.add(new Call((long) batchIndex(bi, out, a) * m * k, (long) batchIndex(bi, out, b) * k * n,
                    (long) bi * m * n));
        }
        return new MatMulPlan(m, n, k, List.copyOf(calls));
    }

    /** Which matrix of operand shape {@code s} serves output batch {@code flat} (broadcasting size-1 dims). */
    static int batchIndex(int flat, int[] out, int[] s) {
        int lead = out.length - 2, sl = s.length - 2, idx = 0, stride = 1;
        for (int d = lead - 1; d >= 0; d--) {
            int coord = flat % out[d];
            flat /= out[d];
            int sd = d - (lead - sl);
            if (sd >= 0) {
                if (s[sd] != 1) idx += coord * stride;
                stride *= s[sd];
            }
        }
        return idx;
    }

    @Override
    public String toString() {
        return "MatMulPlan[" + m + "x" + k + "x" + n + ", " + calls.size() + " call(s)]";
    }
}
