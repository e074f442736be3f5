package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;

/**
 * Direct convolution for groups of one input channel (depthwise, any channel multiplier), where im2col
 * would only copy data around for a handful of multiply-adds per output. Output planes are split across
 * threads; each plane is computed by one of two implementations, following the backend's
 * {@link MicroKernel} choice:
 * <ul>
 *   <li>vector kernel: {@link VectorDepthwise}, which copies the input plane once into a zero-padded
 *       scratch plane and sums all taps of an output vector in a register (MobileNetV2's depthwise layers
 *       ran 3.7x to 8x faster than the loops below, one thread on Zen 5);</li>
 *   <li>loops kernel: each output row is accumulated tap by tap from a gathered input row, both buffers at
 *       index 0 so that C2 vectorizes the loop; bias and activation finish the row before it is stored.
 *       {@link VectorDepthwise} is then never loaded, so this path runs on JVMs without the Vector API.</li>
 * </ul>
 */
final class DepthwiseConvStep implements Step {
    private final int x, y;
    private final int batch, cin, cout, multiplier;
    private final float[] w;     // [M, 1, kh, kw]
    private final float[] bias;  // [M] or null
    private final ConvGeometry g;
    private final Activation act;
    private final int chunks;
    private final VectorDepthwise vector; // null unless the backend runs the vector kernel

    DepthwiseConvStep(int x, int y, int[] xs, int[] ys, float[] w, float[] bias, ConvGeometry g, Activation act,
                      int threads, Workspace.Spec spec, MicroKernel kernel) {
        this.x = x;
        this.y = y;
        this.batch = xs[0];
        this.cin = xs[1];
        this.cout = ys[1];
        this.multiplier = cout / cin;
        this.w = w.clone();
        this.bias = bias == null ? null : bias.clone();
        this.g = g;
        this.act = act;
        this.chunks = Chunks.count(batch * cout, (long) g.oh() * g.ow() * g.kh() * g.kw(), threads);
        this.vector = kernel.usesVectorApi() ? new VectorDepthwise(g, act, spec) : null;
        if (vector == null) spec.needRow(g.ow());
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        int planes = batch * cout;
        f.pool().parallelFor(chunks, (c, worker) -> {
            Workspace ws = f.workspaces()[worker];
            if (vector != null) vector.begin(ws);
            for (int p = Chunks.start(c, chunks, planes), end = Chunks.start(c + 1, chunks, planes); p < end; p++) {
                plane(in, out, p, ws);
            }
        });
    }

    private void plane(float[] in, float[] out, int p, Workspace ws) {
        int n = p / cout, m = p % cout, ci = m / multiplier;
        int h = g.h(), width = g.w(), ow = g.ow(), kh = g.kh(), kw = g.kw();
        int inBase = (n * cin + ci) * h * width, outBase = p * g.oh() * ow, wBase = m * kh * kw;
        float b = bias == null ? 0f : bias[m];
        if (vector != null) {
            vector.plane(in, inBase, out, outBase, w, wBase, b, ws);
            return;
        }
        float[] acc = ws.rowA, tap = ws.rowB;
        for (int oy = 0; oy < g.oh(); oy++) {
            Arrays.fill(acc, 0, ow, b);
            int iy0 = oy * g.sh() - g.pt();
            for (int ky = ConvGeometry.firstTap(iy0, g.dh(), 0), kyEnd = ConvGeometry.endTap(iy0, g.dh(), h, kh);
                 ky < kyEnd; ky++) {
                int rowBase = inBase + (iy0 + ky * g.dh()) * width;
                for (int kx = 0; kx < kw; kx++) {
                    float wv = w[wBase + ky * kw + kx];
                    ConvGeometry.gatherRow(in, rowBase, width, kx * g.dw() - g.pl(), g.sw(), tap, 0, ow, 0f);
                    for (int j = 0; j < ow; j++) acc[j] = Math.fma(wv, tap[j], acc[j]);
                }
            }
            ActivationLoops.apply(act, acc, 0, ow);
            System.arraycopy(acc, 0, out, outBase + oy * ow, ow);
        }
    }

    long flops() {
        return 2L * batch * cout * g.oh() * g.ow() * g.kh() * g.kw();
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
