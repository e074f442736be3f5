package io.foldrt.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * One plane of a MaxPool at column stride 1 or 2 (column dilation 1) on the Vector API, for planes whose
 * rows are at least a vector wide; only created when the backend runs the vector kernels (see
 * {@link PoolStep}). Output row by output row: the max of its window's input rows, vector by vector, into a
 * scratch row padded with -inf, then the max of the kw taps along that row, a tap at stride 2 being the even
 * or odd lanes of a vector pair. Nothing is written but the output and one scratch row, where the band
 * path copies every tap. ResNet's stem pool (64 planes of 112x112, output arrays allocated per run
 * included) measured on Zen 5: 0.43 to 0.29 ms on one thread, 0.24 to 0.22 ms on two (medians); with
 * the horizontal loops storing their own vectors (see below) 0.27 to 0.18 ms on one thread.
 *
 * <p>As in {@link VectorDepthwise}, a row's last vector is moved back to end at the row's end instead of
 * being masked. Max propagates NaN, as {@link FloatVector#max} does.
 */
final class VectorMaxPool {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    private final ConvGeometry g;
    private final int rowCols; // scratch row: the input row from column -pl on, -inf outside the input

    /** Whether this path takes the pool: max, column stride 1 or 2, column dilation 1, rows a vector wide. */
    static boolean applies(ConvGeometry g) {
        return (g.sw() == 1 || g.sw() == 2) && g.dw() == 1 && g.w() >= L && g.ow() >= L;
    }

    VectorMaxPool(ConvGeometry g, Workspace.Spec spec) {
        this.g = g;
        // The windows reach column (ow-1)*sw + kw - 1 - pl; a stride-2 tap reads a vector pair past it.
        rowCols = Math.max(g.pl() + g.w(), (g.ow() - 1) * g.sw() + g.kw()) + 2 * L;
        spec.needRow(rowCols);
    }

    /** out[outBase ..] = the pooled plane of in[inBase ..]. */
    void plane(float[] in, int inBase, float[] out, int outBase, Workspace ws) {
        float[] row = ws.rowA;
        int w = g.w(), pl = g.pl(), ow = g.ow();
        Arrays.fill(row, 0, rowCols, Float.NEGATIVE_INFINITY);
        for (int oy = 0; oy < g.oh(); oy++) {
            // Vertical: the window's input rows inside the plane (a window in the padding only stays -inf).
            int y0 = oy * g.sh() - g.pt();
            int kyLo = ConvGeometry.firstTap(y0, g.dh(), 0), kyHi = ConvGeometry.endTap(y0, g.dh(), g.h(), g.kh());
            if (kyLo >= kyHi) {
                Arrays.fill(row, pl, pl + w, Float.NEGATIVE_INFINITY);
            } else {
                int first = inBase + (y0 + kyLo * g.dh()) * w, step = g.dh() * w, rows = kyHi - kyLo;
                for (int x = 0; x < w; x += L) {
                    int c = Math.min(x, w - L);
                    FloatVector m = FloatVector.fromArray(S, in, first + c);
                    for (int r = 1; r < rows; r++) m = m.max(FloatVector.fromArray(S, in, first + r * step + c));
                    m.intoArray(row, pl + c);
                }
            }
            // Horizontal: output column ox takes scratch columns ox*sw .. ox*sw + kw - 1.
            if (g.sw() == 1) horizontal(row, out, outBase + oy * ow);
            else horizontalStride2(row, out, outBase + oy * ow);
        }
    }

    /*
     * The two loops below store their vectors themselves: a helper that returned one was not inlined (its
     * caller is large) and boxed every vector, which made the whole pool 2x slower.
     */

    /** out[o + ox] = the max of scratch columns ox .. ox + kw - 1, for the output row. */
    private void horizontal(float[] row, float[] out, int o) {
        int kw = g.kw(), ow = g.ow();
        for (int j = 0; j < ow; j += L) {
            int c = Math.min(j, ow - L);
            FloatVector m = FloatVector.fromArray(S, row, c);
            for (int kx = 1; kx < kw; kx++) m = m.max(FloatVector.fromArray(S, row, c + kx));
            m.intoArray(out, o + c);
        }
    }

    /** Stride 2: taps kx and kx+1 are the even and odd lanes of the vector pair from scratch column 2c + kx. */
    private void horizontalStride2(float[] row, float[] out, int o) {
        int kw = g.kw(), ow = g.ow();
        for (int j = 0; j < ow; j += L) {
            int c = Math.min(j, ow - L);
            FloatVector a = FloatVector.fromArray(S, row, 2 * c), b = FloatVector.fromArray(S, row, 2 * c + L);
            FloatVector m = a.rearrange(EVEN, b);
            if (kw > 1) m = m.max(a.rearrange(ODD, b));
            for (int kx = 2; kx < kw; kx += 2) {
                a = FloatVector.fromArray(S, row, 2 * c + kx);
                b = FloatVector.fromArray(S, row, 2 * c + kx + L);
                m = m.max(a.rearrange(EVEN, b));
                if (kx + 1 < kw) m = m.max(a.rearrange(ODD, b));
            }
            m.intoArray(out, o + c);
        }
    }
}
