package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;

/**
 * Convolution as SGEMM per (image, group): output channels x output pixels = packed weights x im2col(input).
 * Weights are packed at compile time; bias and the fused activation are applied in the GEMM epilogue. A 1x1
 * stride-1 unpadded conv multiplies the input planes directly. Work is split into tasks along output
 * pixels (NR-column blocks) and, when those are too few to feed every thread, along output channels.
 */
final class ConvStep implements Step {
    private final int x, y;
    private final int batch, cin, cout, groups, cg, mg, plane, pixels;
    private final PackedA[] weights;   // per group: mg x (cg*kh*kw)
    private final Epilogue[] epilogues; // per group
    private final BSource patches;
    private final int colBlocks, panels, splits;
    private final long flops;

    /**
     * @param xs input shape [N, C, H, W]; @param ys output shape [N, M, OH, OW]
     * @param w  weights [M, C/group, kh, kw]; @param bias [M] or null
     */
    ConvStep(int x, int y, int[] xs, int[] ys, float[] w, int kh, int kw, float[] bias, ConvGeometry geo,
             int groups, Activation act, int threads, Workspace.Spec spec) {
        this.x = x;
        this.y = y;
        this.batch = xs[0];
        this.cin = xs[1];
        this.cout = ys[1];
        this.groups = groups;
        this.cg = cin / groups;
        this.mg = cout / groups;
        this.plane = xs[2] * xs[3];
        this.pixels = ys[2] * ys[3];
        int depth = cg * kh * kw;
        weights = new PackedA[groups];
        epilogues = new Epilogue[groups];
        for (int g = 0; g < groups; g++) {
            weights[g] = PackedA.of(w, g * mg * depth, depth, 1, mg, depth);
            float[] b = bias == null ? null : Arrays.copyOfRange(bias, g * mg, (g + 1) * mg);
            epilogues[g] = Epilogue.bias(b, act);
        }
        boolean pointwise = kh == 1 && kw == 1 && geo.sh() == 1 && geo.sw() == 1 && geo.pt() == 0 && geo.pl() == 0
                && geo.oh() == geo.h() && geo.ow() == geo.w();
        patches = pointwise ? new MatrixB(plane, 1) : new Im2colB(geo);
        colBlocks = (pixels + Sgemm.NR - 1) / Sgemm.NR;
        panels = PackedA.panels(mg);
        splits = Chunks.panelSplits(batch * groups * colBlocks, panels, threads);
        spec.needAccPanels((panels + splits - 1) / splits);
        flops = 2L * batch * cout * pixels * depth;
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(batch * groups * colBlocks * splits, (t, worker) -> {
            int split = t % splits, rest = t / splits;
            int cb = rest % colBlocks;
            rest /= colBlocks;
            int g = rest % groups, n = rest / groups;
            int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
            int j0 = cb * Sgemm.NR, nc = Math.min(Sgemm.NR, pixels - j0);
            Sgemm.tile(weights[g], p0, p1, patches, in, (n * cin + g * cg) * plane, j0, nc, epilogues[g],
                    out, (n * cout + g * mg) * pixels, pixels, f.workspaces()[worker]);
        });
    }

    /** Multiply-adds times two, for GFLOP/s reports. */
    long flops() {
        return flops;
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
