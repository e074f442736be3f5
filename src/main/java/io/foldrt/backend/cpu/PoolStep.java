package io.foldrt.backend.cpu;

import io.foldrt.ir.Pads;

/**
 * MaxPool and AveragePool (ONNX semantics, including ceil_mode windows that run past the end padding).
 * For each output pixel the in-range tap ranges are computed once, so the inner loops carry no bounds
 * tests. Max propagates NaN. Average divides by the real pixels under the window, or with
 * count_include_pad by the window positions inside the declared padding. Planes are split across threads.
 */
final class PoolStep implements Step {
    private final int x, y;
    private final boolean max, countPad;
    private final ConvGeometry g;
    private final int padBottom, padRight, planes, chunks;

    PoolStep(int x, int y, int[] xs, ConvGeometry g, Pads pads, boolean max, boolean countPad, int threads) {
        this.x = x;
        this.y = y;
        this.max = max;
        this.countPad = countPad;
        this.g = g;
        this.padBottom = pads.bottom();
        this.padRight = pads.right();
        this.planes = xs[0] * xs[1];
        this.chunks = Chunks.count(planes, (long) g.oh() * g.ow() * g.kh() * g.kw(), threads);
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(chunks, (c, worker) -> {
            for (int p = Chunks.start(c, chunks, planes), end = Chunks.start(c + 1, chunks, planes); p < end; p++) {
                plane(in, p * g.h() * g.w(), out, p * g.oh() * g.ow());
            }
        });
    }

    private void plane(float[] in, int inBase, float[] out, int outBase) {
        int h = g.h(), w = g.w(), kh = g.kh(), kw = g.kw(), dh = g.dh(), dw = g.dw();
        for (int oy = 0; oy < g.oh(); oy++) {
            int y0 = oy * g.sh() - g.pt();
            int kyLo = ConvGeometry.firstTap(y0, dh, 0), kyHi = ConvGeometry.endTap(y0, dh, h, kh);
            for (int ox = 0; ox < g.ow(); ox++) {
                int x0 = ox * g.sw() - g.pl();
                int kxLo = ConvGeometry.firstTap(x0, dw, 0), kxHi = ConvGeometry.endTap(x0, dw, w, kw);
                float v;
                if (max) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int ky = kyLo; ky < kyHi; ky++) {
                        int row = inBase + (y0 + ky * dh) * w + x0;
                        for (int kx = kxLo; kx < kxHi; kx++) {
                            float e = in[row + kx * dw];
                            if (e > m || e != e) m = e; // a NaN wins and stays: no later e compares greater
                        }
                    }
                    v = m;
                } else {
                    double sum = 0;
                    for (int ky = kyLo; ky < kyHi; ky++) {
                        int row = inBase + (y0 + ky) * w + x0;
                        for (int kx = kxLo; kx < kxHi; kx++) sum += in[row + kx];
                    }
                    int count = countPad
                            ? span(y0, kh, -g.pt(), h + padBottom) * span(x0, kw, -g.pl(), w + padRight)
                            : Math.max(0, kyHi - kyLo) * Math.max(0, kxHi - kxLo);
                    v = (float) (sum / count);
                }
                out[outBase + oy * g.ow() + ox] = v;
            }
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
