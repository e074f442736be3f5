package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;

/**
 * Convolution as SGEMM per (image, group), in one of two orientations:
 * <ul>
 *   <li>pixel columns (the default): output[channel, pixel] = W x im2col(X). W is packed at compile time;
 *       im2col blocks are built as the B operand, and a 1x1 stride-1 unpadded conv multiplies the input
 *       planes directly. Tasks split pixels into tiles (NR wide, narrower where that balances the threads
 *       best, see {@link #pixelTileWidth}), then channels if needed.</li>
 *   <li>channel columns (small maps, many channels; loop kernel only, see {@link #channelColumns}):
 *       output^T[pixel, channel] = im2col(X)^T x W^T. W^T is packed at compile time; each task packs the
 *       im2col rows of its pixels as the A operand and the epilogue stores the tile back channel-major.
 *       Tasks split pixels.</li>
 * </ul>
 * Bias and the fused activation are applied in the epilogue in both cases.
 */
final class ConvStep implements Step {
    private final int x, y, packedTemp;
    private final int batch, cin, cout, groups, cg, mg, plane, pixels, depth;
    private final boolean channelColumns;
    private final PackedA[] weights;  // pixel columns: per group, mg x depth
    private final PrepackedB[] weightsT; // channel columns: per group, depth x mg
    private final Epilogue[] epilogues; // per group
    private final BSource patches;
    private final int tileCols, colBlocks, panels, splits;
    private final long flops;

    /**
     * @param xs input shape [N, C, H, W]; @param ys output shape [N, M, OH, OW]
     * @param w  weights [M, C/group, kh, kw]; @param bias [M] or null
     * @param packedTemp a temporary of {@link #packedSize} floats (used only in channel-column mode)
     */
    ConvStep(int x, int y, int packedTemp, int[] xs, int[] ys, float[] w, int kh, int kw, float[] bias,
             ConvGeometry geo, int groups, Activation act, int threads, Workspace.Spec spec, MicroKernel kernel) {
        this.x = x;
        this.y = y;
        this.packedTemp = packedTemp;
        this.batch = xs[0];
        this.cin = xs[1];
        this.cout = ys[1];
        this.groups = groups;
        this.cg = cin / groups;
        this.mg = cout / groups;
        this.plane = xs[2] * xs[3];
        this.pixels = ys[2] * ys[3];
        this.depth = cg * kh * kw;
        this.channelColumns = channelColumns(mg, pixels, kernel);
        weights = new PackedA[groups];
        weightsT = new PrepackedB[groups];
        epilogues = new Epilogue[groups];
        for (int g = 0; g < groups; g++) {
            float[] b = bias == null ? null : Arrays.copyOfRange(bias, g * mg, (g + 1) * mg);
            if (channelColumns) {
                weightsT[g] = new PrepackedB(w, g * mg * depth, 1, depth, depth, mg);
                epilogues[g] = new Epilogue.ChannelColumns(b, act);
            } else {
                weights[g] = PackedA.of(w, g * mg * depth, depth, 1, mg, depth);
                epilogues[g] = new Epilogue.RowBias(b, act);
            }
        }
        boolean pointwise = kh == 1 && kw == 1 && geo.sh() == 1 && geo.sw() == 1 && geo.pt() == 0 && geo.pl() == 0
                && geo.oh() == geo.h() && geo.ow() == geo.w();
        patches = pointwise && !channelColumns ? new MatrixB(plane, 1) : new Im2colB(geo, kernel.usesVectorApi());
        if (channelColumns) {
            tileCols = Sgemm.NR;
            colBlocks = (mg + Sgemm.NR - 1) / Sgemm.NR;
            panels = PackedA.panels(pixels); // of pixels
            splits = Chunks.panelSplits(groups, panels, threads, Math.min(mg, Sgemm.NR)); // images one after another
        } else {
            tileCols = pixelTileWidth(batch * groups, pixels, mg, threads);
            colBlocks = (pixels + tileCols - 1) / tileCols;
            panels = PackedA.panels(mg); // of channels
            splits = Chunks.panelSplits(batch * groups * colBlocks, panels, threads, Math.min(pixels, tileCols));
        }
        spec.needAccPanels(Chunks.panelsPerSplit(panels, splits));
        flops = 2L * batch * cout * pixels * depth;
    }

    /**
     * Columns per pixel tile. Where the images alone give too few NR-wide tiles to keep every thread busy, the
     * work must be split further, and each part re-reads one operand: split by pixels (narrower tiles), each
     * part streams all of W; split by channels (row panels), each part packs its own copy of the im2col
     * blocks. So pixels are split when W is the smaller operand (fewer output channels than pixels).
     */
    static int pixelTileWidth(int images, int pixels, int channels, int threads) {
        int tasks = 2 * threads, tiles = images * ((pixels + Sgemm.NR - 1) / Sgemm.NR);
        if (tiles >= tasks || channels >= pixels) return Sgemm.NR;
        int perImage = (tasks + images - 1) / images;
        int width = ((pixels + perImage - 1) / perImage + 15) / 16 * 16; // whole 512-bit vectors
        return Math.min(Sgemm.NR, width);
    }

    /**
     * Channel columns when a group has more output channels than the map has pixels, for the loop kernel only:
     * it reloads and stores its accumulator rows on every call, so short rows cost it more than transposing
     * an operand, whereas the vector kernel keeps C in registers and runs pixel columns of a 7x7 map faster.
     */
    static boolean channelColumns(int channelsPerGroup, int pixels, MicroKernel kernel) {
        return !kernel.usesVectorApi() && channelsPerGroup > pixels;
    }

    /** Floats of the temporary that holds one image's packed im2col^T for every group (channel columns). */
    static int packedSize(int[] xs, int[] ys, int kh, int kw, int groups, MicroKernel kernel) {
        int pixels = ys[2] * ys[3];
        if (!channelColumns(ys[1] / groups, pixels, kernel)) return 0;
        return Math.multiplyExact(groups, PackedA.size(pixels, xs[1] / groups * kh * kw));
    }

    @Override
    public void run(Frame f) {
        if (channelColumns) runChannelColumns(f);
        else runPixelColumns(f);
    }

    private void runPixelColumns(Frame f) {
        float[] in = f.get(x), out = f.get(y);
        f.pool().parallelFor(batch * groups * colBlocks * splits, (t, worker) -> {
            int split = t % splits, rest = t / splits;
            int cb = rest % colBlocks;
            rest /= colBlocks;
            int g = rest % groups, n = rest / groups;
            int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
            int j0 = cb * tileCols, nc = Math.min(tileCols, pixels - j0);
            Sgemm.tile(weights[g], p0, p1, patches, in, (n * cin + g * cg) * plane, j0, nc, epilogues[g],
                    out, (n * cout + g * mg) * pixels, pixels, f.workspaces()[worker]);
        });
    }

    private void runChannelColumns(Frame f) {
        float[] in = f.get(x), out = f.get(y), packed = f.get(packedTemp);
        int groupSize = PackedA.size(pixels, depth);
        for (int n = 0; n < batch; n++) {
            int image = n;
            f.pool().parallelFor(groups * splits, (t, worker) -> {
                int g = t / splits, split = t % splits;
                int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
                Workspace ws = f.workspaces()[worker];
                int src = (image * cin + g * cg) * plane;
                packPatches(in, src, packed, g * groupSize, p0, p1, ws);
                PackedA a = new PackedA(packed, g * groupSize, pixels, depth);
                for (int cb = 0; cb < colBlocks; cb++) {
                    int j0 = cb * Sgemm.NR;
                    Sgemm.tile(a, p0, p1, weightsT[g], null, 0, j0, Math.min(Sgemm.NR, mg - j0), epilogues[g],
                            out, (image * cout + g * mg) * pixels, pixels, ws);
                }
            });
        }
    }

    /** Writes im2col^T rows of pixel panels [p0, p1) into the packed-A layout, KC im2col rows at a time. */
    private void packPatches(float[] in, int src, float[] dst, int dstOff, int p0, int p1, Workspace ws) {
        int mr = Sgemm.MR, first = p0 * mr, count = Math.min(p1 * mr, pixels) - first;
        for (int k0 = 0; k0 < depth; k0 += Sgemm.KC) {
            int kc = Math.min(Sgemm.KC, depth - k0);
            float[][] rows = patches.panel(in, src, k0, kc, first, count, ws);
            for (int p = p0; p < p1; p++) {
                int base = dstOff + PackedA.index(pixels, depth, p, k0);
                for (int r = 0; r < mr; r++) {
                    int col = p * mr + r - first;
                    if (col < count) {
                        for (int i = 0; i < kc; i++) dst[base + i * mr + r] = rows[i][col];
                    } else {
                        for (int i = 0; i < kc; i++) dst[base + i * mr + r] = 0f;
                    }
                }
            }
        }
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
        return packedTemp >= 0 ? new int[] {y, packedTemp} : new int[] {y};
    }
}
