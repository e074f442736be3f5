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
 * of the task, which stay in L2; in the last slice the {@link Epilogue} finishes each panel's rows right
 * after the kernel has written them, while they are in L1.
 * Register blocking: each kernel step holds MR x 8 broadcast A values (16 of the 32 AVX-512 registers) and
 * reuses every loaded B vector MR times, so each accumulator load/store pair carries eight FMAs. Measured
 * on Zen 5 (C2, JDK 25) this 2 x 8 shape ran ~40% faster than 4 x 4, which stores twice as often; wider
 * shapes either spill or touch more arrays than C2 will vectorize.
 */
final class Sgemm {
    /** Rows per A panel (register block height). */
    static final int MR = 2;
    /**
     * Columns per tile. Long, because each kernel step has a fixed cost (A loads, loop entry and exit) that
     * only a long vector loop amortizes.
     */
    static final int NR = 512;
    /** Accumulator panels one tile call may hold: 128 rows x NR floats = 256 KiB, which stays in L2. */
    static final int MAX_TILE_PANELS = 128 / MR;
    /** Depth per packed B block (KC x NR floats = 256 KiB, resident in L2). */
    static final int KC = 128;

    private Sgemm() {}

    /**
     * out[rows of panels p0..p1-1, columns j0..j0+nc-1] = epilogue(A x B), with output row i at
     * {@code out[outOff + i*ldc]}. Needs {@code (p1 - p0) * MR} accumulator rows in {@code ws}.
     */
    static void tile(PackedA a, int p0, int p1, BSource b, float[] src, int srcOff, int j0, int nc,
                     Epilogue ep, float[] out, int outOff, int ldc, Workspace ws) {
        int depth = a.depth(), rows = a.rows();
        float[][] acc = ws.acc;
        int accRows = (p1 - p0) * MR;
        for (int r = 0; r < accRows; r++) Arrays.fill(acc[r], 0, nc, 0f);
        for (int k0 = 0; k0 < Math.max(depth, 1); k0 += KC) {
            int kc = Math.min(KC, depth - k0);
            boolean last = k0 + KC >= depth;
            float[][] panel = kc > 0 ? b.panel(src, srcOff, k0, kc, j0, nc, ws) : null;
            for (int p = p0; p < p1; p++) {
                int r = (p - p0) * MR;
                if (kc > 0) kernel(a.data(), a.offset() + (p * depth + k0) * MR, kc, panel, acc[r], acc[r + 1], nc);
                if (last) { // finish the panel's rows right away, while the kernel's stores are still in L1
                    for (int i = 0; i < MR && p * MR + i < rows; i++) {
                        ep.finish(acc[r + i], p * MR + i, j0, nc, out, outOff, ldc, ws);
                    }
                }
            }
        }
        ep.storeTile(acc, p0 * MR, Math.min(p1 * MR, rows) - p0 * MR, j0, nc, out, outOff, ldc);
    }

    /** c_r[j] += sum_k a[ao + k*MR + r] * b[k][j] for r < MR, j < nc, k < kc. */
    static void kernel(float[] a, int ao, int kc, float[][] b, float[] c0, float[] c1, int nc) {
        int k = 0;
        for (; k + 7 < kc; k += 8, ao += 8 * MR) {
            float p0 = a[ao], q0 = a[ao + 1], p1 = a[ao + 2], q1 = a[ao + 3];
            float p2 = a[ao + 4], q2 = a[ao + 5], p3 = a[ao + 6], q3 = a[ao + 7];
            float p4 = a[ao + 8], q4 = a[ao + 9], p5 = a[ao + 10], q5 = a[ao + 11];
            float p6 = a[ao + 12], q6 = a[ao + 13], p7 = a[ao + 14], q7 = a[ao + 15];
            float[] b0 = b[k], b1 = b[k + 1], b2 = b[k + 2], b3 = b[k + 3];
            float[] b4 = b[k + 4], b5 = b[k + 5], b6 = b[k + 6], b7 = b[k + 7];
            for (int j = 0; j < nc; j++) {
                float x0 = b0[j], x1 = b1[j], x2 = b2[j], x3 = b3[j], x4 = b4[j], x5 = b5[j], x6 = b6[j], x7 = b7[j];
                c0[j] = Math.fma(p7, x7, Math.fma(p6, x6, Math.fma(p5, x5, Math.fma(p4, x4,
                        Math.fma(p3, x3, Math.fma(p2, x2, Math.fma(p1, x1, Math.fma(p0, x0, c0[j]))))))));
                c1[j] = Math.fma(q7, x7, Math.fma(q6, x6, Math.fma(q5, x5, Math.fma(q4, x4,
                        Math.fma(q3, x3, Math.fma(q2, x2, Math.fma(q1, x1, Math.fma(q0, x0, c1[j]))))))));
            }
        }
        for (; k < kc; k++, ao += MR) {
            float p0 = a[ao], q0 = a[ao + 1];
            float[] b0 = b[k];
            for (int j = 0; j < nc; j++) {
                float x0 = b0[j];
                c0[j] = Math.fma(p0, x0, c0[j]);
                c1[j] = Math.fma(q0, x0, c1[j]);
            }
        }
    }
}
