package io.foldrt.backend.cpu;

import java.util.Arrays;

/**
 * Single-precision GEMM: cache blocking around a {@link MicroKernel} (Vector API or plain loops).
 *
 * <p>Blocking: for one NR-wide column block, depth is walked in {@link #KC} slices; each slice of B is packed
 * once (the im2col step for convolutions) and multiplied into the accumulator rows of all MR-row panels
 * of the task, which stay in L2; in the last slice the {@link Epilogue} finishes each panel's rows right
 * after the kernel has written them, while they are in L1.
 * B and the accumulators are separate row arrays starting at index 0, the shape both kernels need.
 */
final class Sgemm {
    /** Rows per A panel: the vector kernel's register block height (8 x 3 vectors of C). */
    static final int MR = 8;
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
     * {@code out[outOff + i*ldc]}. Needs {@code (p1 - p0) * MR} accumulator rows in {@code ws}. {@code res}: null
     * or a residual laid out as {@code out} (see {@link Epilogue#finish}).
     */
    static void tile(PackedA a, int p0, int p1, BSource b, float[] src, int srcOff, int j0, int nc,
                     Epilogue ep, float[] out, float[] res, int outOff, int ldc, Workspace ws) {
        int depth = a.depth(), rows = a.rows();
        float[][] acc = ws.acc;
        MicroKernel kernel = ws.kernel;
        int accRows = (p1 - p0) * MR, touched = kernel.columnsTouched(nc), block = kernel.columnBlock();
        for (int r = 0; r < accRows; r++) Arrays.fill(acc[r], 0, touched, 0f);
        // The vector kernel reads a run-time matrix in place where it can, instead of copying its rows.
        MatrixB matrix = kernel.usesVectorApi() && b instanceof MatrixB m ? m : null;
        VectorMicroKernel vector = matrix != null ? (VectorMicroKernel) kernel : null;
        for (int k0 = 0; k0 < Math.max(depth, 1); k0 += KC) {
            int kc = Math.min(KC, depth - k0);
            boolean last = k0 + KC >= depth;
            int inPlace = kc > 0 && matrix != null ? matrix.inPlace(src, srcOff, k0, kc, j0, touched) : -1;
            float[][] panel = kc > 0 && inPlace < 0 ? b.panel(src, srcOff, k0, kc, j0, nc, ws) : null;
            // Column blocks outside, panels inside: a block of B stays in L1 while every panel multiplies it.
            for (int jb = 0; jb < nc; jb += block) {
                int n = Math.min(block, nc - jb), width = kernel.columnsTouched(n);
                boolean finish = last && jb + n == nc;
                for (int p = p0; p < p1; p++) {
                    int r = (p - p0) * MR;
                    if (inPlace >= 0) {
                        vector.multiplyBlocked(a.data(), a.at(p, k0), kc, src, inPlace + jb, matrix.rowStride(),
                                width, acc, r, jb);
                    } else if (kc > 0) {
                        kernel.multiply(a.data(), a.at(p, k0), kc, panel, acc, r, jb, n);
                    }
                    // the panel's rows are complete: finish them while the last block is in L1
                    if (finish) finishPanel(ep, acc, r, p * MR, rows, j0, nc, out, res, outOff, ldc, ws);
                }
            }
        }
        ep.storeTile(acc, p0 * MR, Math.min(p1 * MR, rows) - p0 * MR, j0, nc, out, res, outOff, ldc);
    }

    /**
     * {@link #tile} for the vector kernel with a constant B packed as a {@link BlockedB}: columns
     * {@code j0 .. j0+nc-1} of it, one of the column ranges it was packed for.
     */
    static void tileBlocked(PackedA a, int p0, int p1, BlockedB b, int j0, int nc, Epilogue ep, float[] out,
                            float[] res, int outOff, int ldc, Workspace ws) {
        int depth = a.depth(), rows = a.rows();
        float[][] acc = ws.acc;
        VectorMicroKernel kernel = (VectorMicroKernel) ws.kernel;
        int accRows = (p1 - p0) * MR, touched = kernel.columnsTouched(nc), block = kernel.columnBlock();
        for (int r = 0; r < accRows; r++) Arrays.fill(acc[r], 0, touched, 0f);
        for (int k0 = 0; k0 < depth; k0 += KC) {
            int kc = Math.min(KC, depth - k0);
            boolean last = k0 + KC >= depth;
            for (int jb = 0; jb < nc; jb += block) {
                int n = Math.min(block, nc - jb), bo = b.at(k0, j0 + jb), w = b.width(j0 + jb);
                boolean finish = last && jb + n == nc;
                for (int p = p0; p < p1; p++) {
                    int r = (p - p0) * MR, real = rows - p * MR;
                    if (real < VectorMicroKernel.FEW_ROWS) {
                        kernel.multiplyBlockedRows(a.data(), a.at(p, k0), kc, b.data(), bo, w, w, acc, r, jb, real);
                    } else {
                        kernel.multiplyBlocked(a.data(), a.at(p, k0), kc, b.data(), bo, w, w, acc, r, jb);
                    }
                    if (finish) finishPanel(ep, acc, r, p * MR, rows, j0, nc, out, res, outOff, ldc, ws);
                }
            }
        }
        ep.storeTile(acc, p0 * MR, Math.min(p1 * MR, rows) - p0 * MR, j0, nc, out, res, outOff, ldc);
    }

    /** Finishes the accumulator rows {@code r ..} of the panel whose first output row is {@code row0}. */
    private static void finishPanel(Epilogue ep, float[][] acc, int r, int row0, int rows, int j0, int nc, float[] out,
                                    float[] res, int outOff, int ldc, Workspace ws) {
        for (int i = 0; i < MR && row0 + i < rows; i++) {
            ep.finish(acc[r + i], row0 + i, j0, nc, out, res, outOff, ldc, ws);
        }
    }
}
