package io.foldrt.backend.cpu;

import java.util.Arrays;

/**
 * Single-precision GEMM written for C2's auto-vectorizer, without the incubating Vector API.
 *
 * <p>C2 (JDK 25) vectorizes a loop only when it can prove the arrays it touches do not overlap, which it
 * can when every access is "same base + loop index + constant". Two arrays indexed from different
 * run-time offsets stay scalar, and so do rows of one array at a constant stride when the trip count is
 * not a constant. So the kernel sees B and the accumulator tile as separate row arrays, all indexed by the
 * bare loop index.
 *
 * <p>Blocking: for one NR-wide column block, depth is walked in {@link #KC} slices; each slice of B is packed
 * once (the im2col step for convolutions) and multiplied into the accumulator rows of all MR-row panels
 * of the task, which stay in L1/L2 until the last slice, when the {@link Epilogue} finishes them.
 * Register blocking: each kernel step holds MR x 4 broadcast A values and reuses every loaded B vector MR
 * times, so each accumulator load/store pair carries four FMAs.
 */
final class Sgemm {
    /** Rows per A panel (register block height). */
    static final int MR = 4;
    /**
     * Columns per tile. Long, because each kernel step has a fixed cost (A loads, loop entry and exit) that
     * only a long vector loop amortizes.
     */
    static final int NR = 512;
    /** Depth per packed B block (KC x NR floats = 256 KiB, resident in L2). */
    static final int KC = 128;

    private Sgemm() {}

    /**
     * out[rows of panels p0..p1-1, columns j0..j0+nc-1] = epilogue(A x B), with output row i at
     * {@code out[outOff + i*ldc]}. Needs {@code (p1 - p0) * MR} accumulator rows in {@code ws}.
     */
    static void tile(PackedA a, int p0, int p1, BSource b, float[] src, int srcOff, int j0, int nc,
                     Epilogue ep, float[] out, int outOff, int ldc, Workspace ws) {
        int depth = a.depth();
        float[][] acc = ws.acc;
        int accRows = (p1 - p0) * MR;
        for (int r = 0; r < accRows; r++) Arrays.fill(acc[r], 0, nc, 0f);
        for (int k0 = 0; k0 < depth; k0 += KC) {
            int kc = Math.min(KC, depth - k0);
            float[][] rows = b.panel(src, srcOff, k0, kc, j0, nc, ws);
            for (int p = p0; p < p1; p++) {
                int r = (p - p0) * MR;
                kernel(a.data(), a.offset() + (p * depth + k0) * MR, kc, rows,
                        acc[r], acc[r + 1], acc[r + 2], acc[r + 3], nc);
            }
        }
        for (int p = p0; p < p1; p++) {
            for (int r = 0; r < MR && p * MR + r < a.rows(); r++) {
                ep.finish(acc[(p - p0) * MR + r], p * MR + r, j0, nc, out, outOff, ldc, ws);
            }
        }
    }

    /** c_r[j] += sum_k a[ao + k*MR + r] * b[k][j] for r < MR, j < nc, k < kc. */
    static void kernel(float[] a, int ao, int kc, float[][] b, float[] c0, float[] c1, float[] c2, float[] c3,
                       int nc) {
        int k = 0;
        for (; k + 3 < kc; k += 4, ao += 4 * MR) {
            float a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3];
            float e0 = a[ao + 4], e1 = a[ao + 5], e2 = a[ao + 6], e3 = a[ao + 7];
            float f0 = a[ao + 8], f1 = a[ao + 9], f2 = a[ao + 10], f3 = a[ao + 11];
            float g0 = a[ao + 12], g1 = a[ao + 13], g2 = a[ao + 14], g3 = a[ao + 15];
            float[] b0 = b[k], b1 = b[k + 1], b2 = b[k + 2], b3 = b[k + 3];
            for (int j = 0; j < nc; j++) {
                float x0 = b0[j], x1 = b1[j], x2 = b2[j], x3 = b3[j];
                c0[j] = Math.fma(g0, x3, Math.fma(f0, x2, Math.fma(e0, x1, Math.fma(a0, x0, c0[j]))));
                c1[j] = Math.fma(g1, x3, Math.fma(f1, x2, Math.fma(e1, x1, Math.fma(a1, x0, c1[j]))));
                c2[j] = Math.fma(g2, x3, Math.fma(f2, x2, Math.fma(e2, x1, Math.fma(a2, x0, c2[j]))));
                c3[j] = Math.fma(g3, x3, Math.fma(f3, x2, Math.fma(e3, x1, Math.fma(a3, x0, c3[j]))));
            }
        }
        for (; k < kc; k++, ao += MR) {
            float a0 = a[ao], a1 = a[ao + 1], a2 = a[ao + 2], a3 = a[ao + 3];
            float[] b0 = b[k];
            for (int j = 0; j < nc; j++) {
                float x0 = b0[j];
                c0[j] = Math.fma(a0, x0, c0[j]);
                c1[j] = Math.fma(a1, x0, c1[j]);
                c2[j] = Math.fma(a2, x0, c2[j]);
                c3[j] = Math.fma(a3, x0, c3[j]);
            }
        }
    }
}
