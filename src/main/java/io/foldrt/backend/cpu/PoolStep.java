package io.foldrt.backend.cpu;

import io.foldrt.ir.Pads;
import java.util.Arrays;

/**
 * MaxPool and AveragePool (ONNX semantics, including ceil_mode windows that run past the end padding).
 *
 * <p>The window is separable (max, or sum for average), and every pass runs over a band of output rows as
 * one long loop. Vertical first, as the row stride costs nothing there: vertical tap ky is, for every
 * output row, the input row ky*dh below the window's top, copied into a padded row (neutral value, -inf
 * or 0, in the padding and in rows outside the plane), so the band's rows form one flat array; the kh
 * taps are combined element-wise. Then horizontal on that result, with the column stride: tap kx is one
 * strided copy of the whole flat band from column kx*dw (VectorCopies for stride 2 with the vector
 * kernel), and the kw taps are combined element-wise. The padded row length is a multiple of the stride,
 * so every row keeps its columns in that copy; columns past what the outputs read are computed too and
 * dropped.
 *
 * <p>Why whole-band copies rather than shifted reads ({@code v[j + kx*dw]}) of one row: C2 does not
 * vectorize a loop whose arrays are indexed at different variable offsets (they might alias), and a loop
 * over a row of a few dozen floats spends most of its time outside the vector body. A bulk copy is cheap.
 *
 * <p>Max propagates NaN. Average divides by the real pixels under the window, or with count_include_pad
 * by the window positions inside the declared padding (divisors computed at compile time). Planes are
 * split across threads. With the vector kernel, MaxPool planes of rows at least a vector wide at column
 * stride 1 or 2 take {@link VectorMaxPool} instead, which writes nothing but the output.
 */
final class PoolStep implements Step {
    /** Floats per buffer of a band (three buffers per worker): long loops whose data stay in L1/L2. */
    private static final int BAND_FLOATS = 4096;

    private final int x, y;
    private final boolean max;
    private final float neutral;
    private final ConvGeometry g;
    private final int planes, chunks;
    /** Padded row length (covers every column the outputs read; a multiple of sw) and that over sw. */
    private final int paddedCols, strideCols;
    /** Output rows per band. */
    private final int bandRows;
    // Averaging divisors per output row / column, fixed by the geometry.
    private final int[] rowsCounted;
    private final float[] colsCounted;
    private final boolean vectorGather; // stride-2 taps through VectorCopies (only with the vector kernel)
    private final VectorMaxPool vectorMax; // MaxPool planes it takes, with the vector kernel; else null

    PoolStep(int x, int y, int[] xs, ConvGeometry g, Pads pads, boolean max, boolean countPad, int threads,
             Workspace.Spec spec, MicroKernel kernel) {
        this.vectorGather = kernel.usesVectorApi() && g.sw() == 2;
        this.x = x;
        this.y = y;
        this.max = max;
        this.neutral = max ? Float.NEGATIVE_INFINITY : 0f;
        this.g = g;
        rowsCounted = new int[g.oh()];
        for (int oy = 0; oy < g.oh(); oy++) {
            int y0 = oy * g.sh() - g.pt();
            int kyLo = ConvGeometry.firstTap(y0, g.dh(), 0);
            int kyHi = Math.max(kyLo, ConvGeometry.endTap(y0, g.dh(), g.h(), g.kh()));
            rowsCounted[oy] = countPad ? span(y0, g.kh(), -g.pt(), g.h() + pads.bottom()) : kyHi - kyLo;
        }
        colsCounted = new float[g.ow()];
        for (int ox = 0; ox < g.ow(); ox++) {
            int x0 = ox * g.sw() - g.pl();
            int kxLo = ConvGeometry.firstTap(x0, g.dw(), 0);
            int kxHi = Math.max(kxLo, ConvGeometry.endTap(x0, g.dw(), g.w(), g.kw()));
            colsCounted[ox] = countPad ? span(x0, g.kw(), -g.pl(), g.w() + pads.right()) : kxHi - kxLo;
        }
        int windowCols = (g.ow() - 1) * g.sw() + (g.kw() - 1) * g.dw() + 1;
        paddedCols = (windowCols + g.sw() - 1) / g.sw() * g.sw();
        strideCols = paddedCols / g.sw();
        bandRows = Math.clamp(BAND_FLOATS / paddedCols, 1, g.oh());
        this.planes = xs[0] * xs[1];
        this.chunks = Chunks.count(planes, (long) g.oh() * g.ow() * g.kh() * g.kw(), threads);
        vectorMax = max && kernel.usesVectorApi() && VectorMaxPool.applies(g) ? new VectorMaxPool(g, spec) : null;
        if (vectorMax == null) { // the band buffers
            spec.needRow(bandRows * paddedCols);
            spec.needRowC(bandRows * strideCols);
        }
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            Workspace ws = f.workspaces()[worker];
            for (int p = Chunks.start(c, chunks, planes), end = Chunks.start(c + 1, chunks, planes); p < end; p++) {
                if (vectorMax != null) {
                    vectorMax.plane(in, p * g.h() * g.w(), out, p * g.oh() * g.ow(), ws);
                    continue;
                }
                for (int oy = 0; oy < g.oh(); oy += bandRows) {
                    band(in, p * g.h() * g.w(), out, p * g.oh() * g.ow(), oy, Math.min(bandRows, g.oh() - oy), ws);
                }
            }
        });
    }

    /**
     * Output rows [oy0, oy0 + n) of one plane. rowA: the vertical result (n padded rows); rowB: the tap
     * being combined; rowC: the horizontal result (n rows of strideCols, the first ow of each the output).
     */
    private void band(float[] in, int inBase, float[] out, int outBase, int oy0, int n, Workspace ws) {
        float[] vertical = ws.rowA, tap = ws.rowB, horizontal = ws.rowC;
        int vLen = n * paddedCols, hLen = n * strideCols;
        // Vertical: combine the kh tap rows of every output row, padded, the band as one flat array.
        paddedRows(in, inBase, oy0, n, 0, vertical);
        for (int ky = 1; ky < g.kh(); ky++) {
            paddedRows(in, inBase, oy0, n, ky, tap);
            combine(vertical, tap, vertical, vLen);
        }
        // Horizontal: tap kx of every output column is column ox*sw + kx*dw of its padded row; as paddedCols
        // is a multiple of sw, one strided copy of the flat band takes it for all rows.
        strided(vertical, vLen, 0, horizontal, hLen);
        for (int kx = 1; kx < g.kw(); kx++) {
            strided(vertical, vLen, kx * g.dw(), tap, hLen);
            combine(horizontal, tap, horizontal, hLen);
        }
        for (int b = 0; b < n; b++) {
            int o = outBase + (oy0 + b) * g.ow(), h = b * strideCols;
            if (max) {
                System.arraycopy(horizontal, h, out, o, g.ow());
            } else {
                float rows = rowsCounted[oy0 + b];
                for (int j = 0; j < g.ow(); j++) out[o + j] = horizontal[h + j] / (rows * colsCounted[j]);
            }
        }
    }

    /**
     * Vertical tap ky of output rows [oy0, oy0 + n): row b of {@code dst} is input row (oy0+b)*sh - pt +
     * ky*dh from column pl on, in paddedCols with the neutral value around it (the whole row where it lies
     * outside the plane).
     */
    private void paddedRows(float[] in, int inBase, int oy0, int n, int ky, float[] dst) {
        for (int b = 0, d = 0; b < n; b++, d += paddedCols) {
            int iy = (oy0 + b) * g.sh() - g.pt() + ky * g.dh();
            if (iy < 0 || iy >= g.h()) Arrays.fill(dst, d, d + paddedCols, neutral);
            else ConvGeometry.gatherRow(in, inBase + iy * g.w(), g.w(), -g.pl(), 1, dst, d, paddedCols, neutral);
        }
    }

    /** dst[t] = src[from + t*sw] for t in [0, n), the neutral value past {@code len}. */
    private void strided(float[] src, int len, int from, float[] dst, int n) {
        if (vectorGather) VectorCopies.gatherEven(src, 0, len, from, dst, 0, n, neutral);
        else ConvGeometry.gatherRow(src, 0, len, from, g.sw(), dst, 0, n, neutral);
    }

    /** dst[j] = a[j] max/+ b[j] for j in [0, n): every array indexed alike, so C2 vectorizes it. */
    private void combine(float[] a, float[] b, float[] dst, int n) {
        if (max) {
            for (int j = 0; j < n; j++) dst[j] = Math.max(a[j], b[j]); // NaN propagates
        } else {
            for (int j = 0; j < n; j++) dst[j] = a[j] + b[j];
        }
    }

    /** Taps of a unit-dilation window starting at {@code start} that fall inside [lo, hi). */
    private static int span(int start, int k, int lo, int hi) {
        return Math.max(0, ConvGeometry.endTap(start, 1, hi, k) - ConvGeometry.firstTap(start, 1, lo));
    }

    @Override
    public int[] reads() {
        return new int[] {x};
    }

    @Override
    public int[] writes() {
        return new int[] {y};
    }
}
