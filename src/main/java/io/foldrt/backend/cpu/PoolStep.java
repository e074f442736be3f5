package io.foldrt.backend.cpu;

import io.foldrt.ir.Pads;
import java.util.Arrays;

/**
 * MaxPool and AveragePool (ONNX semantics, including ceil_mode windows that run past the end padding).
 * The in-range tap rows and the averaging divisors of every output row and column are computed at compile
 * time. Max propagates NaN. Average divides by the real pixels under the window, or with count_include_pad
 * by the window positions inside the declared padding. Planes are split across threads.
 */
final class PoolStep implements Step {
    private final int x, y;
    private final boolean max, countPad;
    private final ConvGeometry g;
    private final int planes, chunks;
    // In-range tap ranges and averaging divisors per output row / column, fixed by the geometry.
    private final int[] kyLo, kyHi, rowsCounted;
    private final float[] colsCounted;
    private final boolean vectorGather; // stride-2 rows through VectorCopies (only with the vector kernel)

    PoolStep(int x, int y, int[] xs, ConvGeometry g, Pads pads, boolean max, boolean countPad, int threads,
             Workspace.Spec spec, MicroKernel kernel) {
        this.vectorGather = kernel.usesVectorApi() && g.sw() == 2;
        this.x = x;
        this.y = y;
        this.max = max;
        this.countPad = countPad;
        this.g = g;
        kyLo = new int[g.oh()];
        kyHi = new int[g.oh()];
        rowsCounted = new int[g.oh()];
        for (int oy = 0; oy < g.oh(); oy++) {
            int y0 = oy * g.sh() - g.pt();
            kyLo[oy] = ConvGeometry.firstTap(y0, g.dh(), 0);
            kyHi[oy] = Math.max(kyLo[oy], ConvGeometry.endTap(y0, g.dh(), g.h(), g.kh()));
            rowsCounted[oy] = countPad ? span(y0, g.kh(), -g.pt(), g.h() + pads.bottom()) : kyHi[oy] - kyLo[oy];
        }
        colsCounted = new float[g.ow()];
        for (int ox = 0; ox < g.ow(); ox++) {
            int x0 = ox * g.sw() - g.pl();
            int kxLo = ConvGeometry.firstTap(x0, g.dw(), 0);
            int kxHi = Math.max(kxLo, ConvGeometry.endTap(x0, g.dw(), g.w(), g.kw()));
            colsCounted[ox] = countPad ? span(x0, g.kw(), -g.pl(), g.w() + pads.right()) : kxHi - kxLo;
        }
        this.planes = xs[0] * xs[1];
        this.chunks = Chunks.count(planes, (long) g.oh() * g.ow() * g.kh() * g.kw(), threads);
        spec.needRow(g.ow());
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            for (int p = Chunks.start(c, chunks, planes), end = Chunks.start(c + 1, chunks, planes); p < end; p++) {
                plane(in, p * g.h() * g.w(), out, p * g.oh() * g.ow(), f.workspaces()[worker]);
            }
        });
    }

    /**
     * One plane, an output row at a time: each in-range tap row is gathered (stride applied, out-of-range
     * columns filled with the neutral value) and combined into the row accumulator; both start at index 0,
     * so the combine loops vectorize.
     */
    private void plane(float[] in, int inBase, float[] out, int outBase, Workspace ws) {
        int w = g.w(), ow = g.ow(), kw = g.kw();
        float[] acc = ws.rowA, tap = ws.rowB, divisor = colsCounted;
        float fill = max ? Float.NEGATIVE_INFINITY : 0f;
        for (int oy = 0; oy < g.oh(); oy++) {
            Arrays.fill(acc, 0, ow, fill);
            int y0 = oy * g.sh() - g.pt();
            for (int ky = kyLo[oy]; ky < kyHi[oy]; ky++) {
                int rowBase = inBase + (y0 + ky * g.dh()) * w;
                for (int kx = 0; kx < kw; kx++) {
                    int ix0 = kx * g.dw() - g.pl();
                    if (vectorGather) VectorCopies.gatherEven(in, rowBase, w, ix0, tap, 0, ow, fill);
                    else ConvGeometry.gatherRow(in, rowBase, w, ix0, g.sw(), tap, 0, ow, fill);
                    if (max) {
                        for (int j = 0; j < ow; j++) acc[j] = Math.max(acc[j], tap[j]); // NaN propagates
                    } else {
                        for (int j = 0; j < ow; j++) acc[j] += tap[j];
                    }
                }
            }
            if (!max) {
                float rows = rowsCounted[oy];
                for (int j = 0; j < ow; j++) acc[j] /= rows * divisor[j];
            }
            System.arraycopy(acc, 0, out, outBase + oy * ow, ow);
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
