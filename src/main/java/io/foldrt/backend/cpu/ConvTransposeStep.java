package io.foldrt.backend.cpu;

/**
 * Transposed convolution as GEMM + col2im per (image, group): cols[(m, ky, kx), pixel] = W_g^T x X_g, then
 * every column is scatter-added into the output window it belongs to. The transposed weights are packed at
 * compile time; cols lives in a planned temporary. The scatter is split by output channel, so no two
 * threads ever add into the same element.
 */
final class ConvTransposeStep implements Step {
    private final int x, y, cols;
    private final int batch, cin, cout, groups, cg, mg, plane, outPlane, rowsPerGroup;
    private final PackedA[] weights; // per group: (mg*kh*kw) x cg
    private final float[] bias;      // [M] or null
    private final ConvGeometry g;    // h x w: this op's input plane, oh x ow: its output plane
    private final BSource input;
    private final int colBlocks, panels, splits;

    /**
     * @param w  weights [C, M/group, kh, kw]; @param geo input plane h x w and output plane oh x ow of this op
     * @param cols a temporary of {@link #colsSize} floats
     */
    ConvTransposeStep(int x, int y, int cols, int[] xs, int[] ys, float[] w, float[] bias, ConvGeometry geo,
                      int groups, int threads, Workspace.Spec spec) {
        this.x = x;
        this.y = y;
        this.cols = cols;
        this.batch = xs[0];
        this.cin = xs[1];
        this.cout = ys[1];
        this.groups = groups;
        this.cg = cin / groups;
        this.mg = cout / groups;
        this.plane = xs[2] * xs[3];
        this.outPlane = ys[2] * ys[3];
        this.g = geo;
        this.bias = bias == null ? null : bias.clone();
        this.rowsPerGroup = mg * geo.kh() * geo.kw();
        weights = new PackedA[groups];
        for (int gi = 0; gi < groups; gi++) {
            // Row r = (mj*kh + ky)*kw + kx, column ci: W[gi*cg + ci, mj, ky, kx] = w[(gi*cg + ci)*rows + r].
            weights[gi] = PackedA.of(w, gi * cg * rowsPerGroup, 1, rowsPerGroup, rowsPerGroup, cg);
        }
        input = new MatrixB(plane, 1);
        colBlocks = (plane + Sgemm.NR - 1) / Sgemm.NR;
        panels = PackedA.panels(rowsPerGroup);
        splits = Chunks.panelSplits(colBlocks, panels, threads, Math.min(plane, Sgemm.NR));
        spec.needAccPanels(Chunks.panelsPerSplit(panels, splits));
    }

    static int colsSize(int[] xs, int[] ys, int kh, int kw, int groups) {
        return Math.multiplyExact(ys[1] / groups * kh * kw, xs[2] * xs[3]);
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), out = f.get(y), buf = f.get(cols);
        for (int n = 0; n < batch; n++) {
            for (int gi = 0; gi < groups; gi++) {
                int src = (n * cin + gi * cg) * plane, grp = gi;
                f.pool().parallelFor(colBlocks * splits, (t, worker) -> {
                    int split = t % splits, cb = t / splits;
                    int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
                    int j0 = cb * Sgemm.NR;
                    Sgemm.tile(weights[grp], p0, p1, input, in, src, j0, Math.min(Sgemm.NR, plane - j0),
                            Epilogue.PLAIN, buf, null, 0, plane, f.workspaces()[worker]);
                });
                int firstChannel = n * cout + gi * mg;
                f.pool().parallelFor(mg, (mj, worker) -> scatter(buf, mj, out, firstChannel + mj));
            }
        }
    }

    /** Adds rows (mj, *, *) of cols into output plane {@code plane}, which starts from the bias. */
    private void scatter(float[] buf, int mj, float[] out, int outChannel) {
        int base = outChannel * outPlane, ow = g.ow(), kh = g.kh(), kw = g.kw();
        java.util.Arrays.fill(out, base, base + outPlane, bias == null ? 0f : bias[outChannel % cout]);
        for (int ky = 0; ky < kh; ky++) {
            for (int kx = 0; kx < kw; kx++) {
                int row = ((mj * kh + ky) * kw + kx) * plane;
                int ox0 = kx * g.dw() - g.pl();
                int ixFirst = ConvGeometry.firstTap(ox0, g.sw(), 0), ixEnd = ConvGeometry.endTap(ox0, g.sw(), ow, g.w());
                for (int iy = 0; iy < g.h(); iy++) {
                    int oy = iy * g.sh() - g.pt() + ky * g.dh();
                    if (oy < 0 || oy >= g.oh()) continue;
                    int src = row + iy * g.w(), dst = base + oy * ow + ox0;
                    for (int ix = ixFirst; ix < ixEnd; ix++) out[dst + ix * g.sw()] += buf[src + ix];
                }
            }
        }
    }

    @Override
    public int[] reads() {
        return new int[] {x};
    }

    @Override
    public int[] writes() {
        return new int[] {y, cols};
    }
}
