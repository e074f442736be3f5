package io.foldrt.backend.cpu;

import java.util.Arrays;

/**
 * The im2col matrix of a convolution as GEMM B operand, built block by block straight from the NCHW input:
 * row k is input channel {@code k / (kh*kw)} at kernel tap {@code (k / kw) % kh, k % kw}, column j is
 * output pixel j. Only the block being multiplied exists at any time, in the worker's pack rows.
 *
 * <p>When the output rows are as wide as the input rows and both strides are 1 (a "same"-padded conv), a
 * tap's row is the input plane shifted by a constant, so it is one bulk copy plus zeroing of the columns
 * that fall into the padding; otherwise it is gathered output row by output row, stride-2 rows with vector
 * lane permutations when {@code vectorApi} (the backend runs the Vector API kernels).
 */
record Im2colB(ConvGeometry g, boolean vectorApi) implements BSource {

    @Override
    public float[][] panel(float[] src, int srcOff, int k0, int kc, int j0, int nc, Workspace ws) {
        float[][] rows = ws.packRows;
        boolean shifted = g.sh() == 1 && g.sw() == 1 && g.ow() == g.w();
        int taps = g.kh() * g.kw(), plane = g.h() * g.w();
        for (int i = 0; i < kc; i++) {
            int k = k0 + i, chanBase = srcOff + (k / taps) * plane, ky = (k / g.kw()) % g.kh(), kx = k % g.kw();
            if (shifted) shiftedRow(src, chanBase, ky, kx, j0, nc, rows[i]);
            else gatheredRow(src, chanBase, ky, kx, j0, nc, rows[i]);
        }
        return rows;
    }

    /** Output pixel j reads input element j + shift of the plane, where that is inside the image. */
    private void shiftedRow(float[] src, int chanBase, int ky, int kx, int j0, int nc, float[] dst) {
        int w = g.w(), plane = g.h() * w;
        int dx = kx * g.dw() - g.pl(), shift = (ky * g.dh() - g.pt()) * w + dx;
        // Rows above or below the image fall outside the plane: zero. Everything else is one copy ...
        int lo = Math.clamp(-shift - j0, 0, nc), hi = Math.clamp(plane - shift - j0, lo, nc);
        Arrays.fill(dst, 0, lo, 0f);
        if (hi > lo) System.arraycopy(src, chanBase + j0 + shift + lo, dst, lo, hi - lo);
        Arrays.fill(dst, hi, nc, 0f);
        // ... after which columns whose tap lies in the left/right padding (they read the neighbour row) are zeroed.
        int validFrom = Math.clamp(-dx, 0, w), validTo = Math.clamp(w - dx, validFrom, w);
        if (validFrom == 0 && validTo == w) return;
        for (int rowStart = j0 - j0 % w; rowStart < j0 + nc; rowStart += w) {
            zero(dst, rowStart - j0, rowStart - j0 + validFrom, nc);
            zero(dst, rowStart - j0 + validTo, rowStart - j0 + w, nc);
        }
    }

    private static void zero(float[] dst, int from, int to, int nc) {
        int a = Math.max(from, 0), b = Math.min(to, nc);
        if (a < b) Arrays.fill(dst, a, b, 0f);
    }

    /** General strides and widths: one output row segment at a time. */
    private void gatheredRow(float[] src, int chanBase, int ky, int kx, int j0, int nc, float[] dst) {
        int ow = g.ow(), oy = j0 / ow, ox = j0 % ow;
        for (int d = 0; d < nc; ) {
            int seg = Math.min(ow - ox, nc - d); // pixels left in this output row
            int iy = oy * g.sh() - g.pt() + ky * g.dh();
            if (iy < 0 || iy >= g.h()) {
                Arrays.fill(dst, d, d + seg, 0f);
            } else {
                int ix0 = ox * g.sw() - g.pl() + kx * g.dw();
                if (vectorApi && g.sw() == 2) {
                    VectorCopies.gatherEven(src, chanBase + iy * g.w(), g.w(), ix0, dst, d, seg, 0f);
                } else {
                    ConvGeometry.gatherRow(src, chanBase + iy * g.w(), g.w(), ix0, g.sw(), dst, d, seg, 0f);
                }
            }
            d += seg;
            ox = 0;
            oy++;
        }
    }
}
