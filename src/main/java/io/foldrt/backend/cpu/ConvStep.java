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
 *   <li>channel columns (small maps, many channels, see {@link #channelColumns}):
 *       output^T[pixel, channel] = im2col(X)^T x W^T. W^T is packed at compile time; the im2col rows of the
 *       pixels are gathered straight into the packed-A layout, and the epilogue stores the tile back
 *       channel-major. With the loop kernel each task packs and multiplies its own pixels; with the vector
 *       kernel the threads first pack together, then split the channels (see {@link #runBlocked}).</li>
 * </ul>
 * Bias, a residual (the other operand of an Add that is this conv's only reader) and the fused activation
 * are applied in the epilogue in both cases.
 */
final class ConvStep implements Step {
    private final int x, y, packedTemp, residual; // residual: value id, or -1
    private final int batch, cin, cout, groups, cg, mg, plane, pixels, depth;
    private final boolean channelColumns, blocked; // blocked: channel columns on the vector kernel
    private final PackedA[] weights;  // pixel columns: per group, mg x depth
    private final PrepackedB[] weightsT; // channel columns, loop kernel: per group, depth x mg
    private final BlockedB[] weightsB;   // channel columns, vector kernel: per group, depth x mg
    private final Epilogue[] epilogues; // per group
    private final BSource patches;        // pixel columns
    private final int[] gatherOffsets;    // channel columns, see gatherOffsets()
    private final int tileCols, colBlocks, panels, splits;
    private final int[] channelBounds; // blocked channel columns: the channel ranges that tasks split
    private final long flops;

    /**
     * @param xs input shape [N, C, H, W]; @param ys output shape [N, M, OH, OW]
     * @param w  weights [M, C/group, kh, kw]; @param bias [M] or null
     * @param packedTemp a temporary of {@link #packedSize} floats (used only in channel-column mode)
     * @param residual a value of the output's shape added before the activation, or -1
     */
    ConvStep(int x, int y, int packedTemp, int residual, int[] xs, int[] ys, float[] w, int kh, int kw,
             float[] bias, ConvGeometry geo, int groups, Activation act, int threads, Workspace.Spec spec,
             MicroKernel kernel) {
        this.x = x;
        this.y = y;
        this.packedTemp = packedTemp;
        this.residual = residual;
        this.batch = xs[0];
        this.cin = xs[1];
        this.cout = ys[1];
        this.groups = groups;
        this.cg = cin / groups;
        this.mg = cout / groups;
        this.plane = xs[2] * xs[3];
        this.pixels = ys[2] * ys[3];
        this.depth = cg * kh * kw;
        this.channelColumns = channelColumns(mg, pixels, depth, kernel);
        this.blocked = channelColumns && kernel.usesVectorApi();
        channelBounds = blocked ? channelRanges(mg, threads) : null;
        weights = new PackedA[groups];
        weightsT = new PrepackedB[groups];
        weightsB = new BlockedB[groups];
        epilogues = new Epilogue[groups];
        for (int g = 0; g < groups; g++) {
            float[] b = bias == null ? null : Arrays.copyOfRange(bias, g * mg, (g + 1) * mg);
            if (blocked) {
                weightsB[g] = new BlockedB(w, g * mg * depth, 1, depth, depth, channelBounds, kernel.columnBlock(),
                        VectorMicroKernel.lanes());
                epilogues[g] = new Epilogue.ChannelColumns(b, act, true);
            } else if (channelColumns) {
                weightsT[g] = new PrepackedB(w, g * mg * depth, 1, depth, depth, mg);
                epilogues[g] = new Epilogue.ChannelColumns(b, act, false); // the loop kernel
            } else {
                weights[g] = PackedA.of(w, g * mg * depth, depth, 1, mg, depth);
                epilogues[g] = new Epilogue.RowBias(b, act, kernel.usesVectorApi());
            }
        }
        boolean pointwise = kh == 1 && kw == 1 && geo.sh() == 1 && geo.sw() == 1 && geo.pt() == 0 && geo.pl() == 0
                && geo.oh() == geo.h() && geo.ow() == geo.w();
        patches = channelColumns ? null : pointwise ? new MatrixB(plane, 1) : new Im2colB(geo, kernel.usesVectorApi());
        gatherOffsets = channelColumns ? gatherOffsets(geo, pixels) : null;
        if (blocked) {
            tileCols = Sgemm.NR;
            colBlocks = channelBounds.length - 1; // channel ranges
            panels = PackedA.panels(pixels);
            splits = 1; // at most BLOCKED_MAX_PIXELS pixels: every pixel panel fits one task's accumulators
        } else if (channelColumns) {
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
     * Channel columns when a group has more output channels than the map has pixels, for the loop kernel
     * always: it reloads and stores its accumulator rows on every call, so short rows cost it more than
     * transposing an operand. The vector kernel keeps C in registers and runs pixel columns well down to
     * about 4 vectors of pixels; below that (a 7x7 map is 3 vectors and a 1-pixel tail) with weights that
     * stream from beyond L2 it runs channel columns with the weights as {@link BlockedB}, read as whole
     * vectors: measured on Zen 5, 1.2-1.4x faster on the 3x3 and 1x1 layers of ResNet's 7x7 stage, slower on
     * 14x14 maps and on small weights, except where the channels are at least 4x the pixels (the pixel tiles
     * then waste a quarter of the kernel on the 1-pixel tail of every channel row): MobileNetV2's 1x1 convs
     * from 160 to 960 channels on 7x7, the whole model 1.4% faster on two threads.
     */
    static boolean channelColumns(int channelsPerGroup, int pixels, int depth, MicroKernel kernel) {
        if (!kernel.usesVectorApi()) return channelsPerGroup > pixels;
        return channelsPerGroup > pixels && pixels <= BLOCKED_MAX_PIXELS
                && ((long) channelsPerGroup * depth >= BLOCKED_MIN_WEIGHTS || channelsPerGroup >= 4 * pixels);
    }

    /** Output pixels up to which the vector kernel may take channel columns (4 vectors of 16 floats). */
    static final int BLOCKED_MAX_PIXELS = 64;
    /** Weights per group, in floats, from which it does (1 MiB, the L2 of one Zen 5 core). */
    static final int BLOCKED_MIN_WEIGHTS = 256 * 1024;

    /**
     * The channel ranges that the threads split in blocked channel columns: whole vectors, as even as they can
     * be, at most NR wide (a tile's accumulator rows) and at least one per thread.
     */
    private static int[] channelRanges(int channels, int threads) {
        int lanes = VectorMicroKernel.lanes(), vectors = (channels + lanes - 1) / lanes;
        int ranges = Math.min(vectors, Math.max(threads, (channels + Sgemm.NR - 1) / Sgemm.NR));
        int[] bounds = new int[ranges + 1];
        for (int c = 0; c <= ranges; c++) bounds[c] = Math.min(channels, Chunks.start(c, ranges, vectors) * lanes);
        return bounds;
    }

    /** Floats of the temporary that holds one image's packed im2col^T for every group (channel columns). */
    static int packedSize(int[] xs, int[] ys, int kh, int kw, int groups, MicroKernel kernel) {
        int pixels = ys[2] * ys[3];
        int depth = xs[1] / groups * kh * kw;
        if (!channelColumns(ys[1] / groups, pixels, depth, kernel)) return 0;
        return Math.multiplyExact(groups, PackedA.size(pixels, depth));
    }

    @Override
    public void run(Frame f) {
        if (blocked) runBlocked(f);
        else if (channelColumns) runChannelColumns(f);
        else runPixelColumns(f);
    }

    private void runPixelColumns(Frame f) {
        float[] in = f.get(x), out = f.get(y), res = residual(f);
        f.pool().parallelFor(batch * groups * colBlocks * splits, (t, worker) -> {
            int split = t % splits, rest = t / splits;
            int cb = rest % colBlocks;
            rest /= colBlocks;
            int g = rest % groups, n = rest / groups;
            int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
            int j0 = cb * tileCols, nc = Math.min(tileCols, pixels - j0);
            Sgemm.tile(weights[g], p0, p1, patches, in, (n * cin + g * cg) * plane, j0, nc, epilogues[g],
                    out, res, (n * cout + g * mg) * pixels, pixels, f.workspaces()[worker]);
        });
    }

    private void runChannelColumns(Frame f) {
        float[] in = f.get(x), out = f.get(y), res = residual(f), packed = f.get(packedTemp);
        int groupSize = PackedA.size(pixels, depth);
        for (int n = 0; n < batch; n++) {
            int image = n;
            f.pool().parallelFor(groups * splits, (t, worker) -> {
                int g = t / splits, split = t % splits;
                int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
                Workspace ws = f.workspaces()[worker];
                int src = (image * cin + g * cg) * plane;
                packPatches(in, src, packed, g * groupSize, p0, p1);
                PackedA a = new PackedA(packed, g * groupSize, pixels, depth);
                for (int cb = 0; cb < colBlocks; cb++) {
                    int j0 = cb * Sgemm.NR;
                    Sgemm.tile(a, p0, p1, weightsT[g], null, 0, j0, Math.min(Sgemm.NR, mg - j0), epilogues[g],
                            out, res, (image * cout + g * mg) * pixels, pixels, ws);
                }
            });
        }
    }

    /**
     * Channel columns on the vector kernel, per image in two rounds: the threads pack the im2col^T panels of
     * every group into the shared temporary, then split the output channels, so that each reads its share of
     * the weights once (on a small map they are the large operand, 9 MiB for 512 channels at 3x3).
     */
    private void runBlocked(Frame f) {
        float[] in = f.get(x), out = f.get(y), res = residual(f), packed = f.get(packedTemp);
        int groupSize = PackedA.size(pixels, depth);
        int packSplits = Math.min(panels, f.workspaces().length);
        for (int n = 0; n < batch; n++) {
            int image = n;
            f.pool().parallelFor(groups * packSplits, (t, worker) -> {
                int g = t / packSplits, s = t % packSplits;
                packPatches(in, (image * cin + g * cg) * plane, packed, g * groupSize,
                        Chunks.start(s, packSplits, panels), Chunks.start(s + 1, packSplits, panels));
            });
            f.pool().parallelFor(groups * colBlocks, (t, worker) -> {
                int g = t / colBlocks, c0 = channelBounds[t % colBlocks], c1 = channelBounds[t % colBlocks + 1];
                PackedA a = new PackedA(packed, g * groupSize, pixels, depth);
                Sgemm.tileBlocked(a, 0, panels, weightsB[g], c0, c1 - c0, epilogues[g], out, res,
                        (image * cout + g * mg) * pixels, pixels, f.workspaces()[worker]);
            });
        }
    }

    /**
     * Writes the im2col^T rows of pixel panels [p0, p1) in the packed-A layout, straight from the input: the
     * plane offset each (panel, tap, lane) reads was computed at compile time ({@link #gatherOffsets}).
     */
    private void packPatches(float[] in, int src, float[] dst, int dstOff, int p0, int p1) {
        int mr = Sgemm.MR, taps = depth / cg;
        int[] offsets = gatherOffsets;
        for (int k0 = 0; k0 < depth; k0 += Sgemm.KC) {
            int kc = Math.min(Sgemm.KC, depth - k0);
            for (int p = p0; p < p1; p++) {
                int d = dstOff + PackedA.index(pixels, depth, p, k0);
                for (int i = 0, c = k0 / taps, t = k0 % taps; i < kc; i++, d += mr) {
                    int o = (p * taps + t) * mr, chan = src + c * plane;
                    for (int r = 0; r < mr; r++) {
                        int off = offsets[o + r];
                        dst[d + r] = off < 0 ? 0f : in[chan + off];
                    }
                    if (++t == taps) {
                        t = 0;
                        c++;
                    }
                }
            }
        }
    }

    /**
     * For channel columns: the offset in an input plane that pixel lane r of pixel panel p reads at kernel tap
     * t, at index {@code (p*taps + t)*MR + r}; -1 where the tap falls into the padding or the lane is past the
     * last pixel.
     */
    private static int[] gatherOffsets(ConvGeometry g, int pixels) {
        int taps = g.kh() * g.kw(), panels = PackedA.panels(pixels), mr = Sgemm.MR;
        int[] offsets = new int[panels * taps * mr];
        for (int p = 0; p < panels; p++) {
            for (int t = 0; t < taps; t++) {
                for (int r = 0; r < mr; r++) {
                    int j = p * mr + r, oy = j / g.ow(), ox = j % g.ow();
                    int iy = oy * g.sh() - g.pt() + (t / g.kw()) * g.dh(), ix = ox * g.sw() - g.pl() + (t % g.kw()) * g.dw();
                    boolean inside = j < pixels && iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w();
                    offsets[(p * taps + t) * mr + r] = inside ? iy * g.w() + ix : -1;
                }
            }
        }
        return offsets;
    }

    /** Multiply-adds times two, for GFLOP/s reports. */
    long flops() {
        return flops;
    }

    private float[] residual(Frame f) {
        return residual < 0 ? null : f.get(residual);
    }

    @Override
    public int[] reads() {
        return residual < 0 ? new int[] {x} : new int[] {x, residual};
    }

    @Override
    public int[] writes() {
        return packedTemp >= 0 ? new int[] {y, packedTemp} : new int[] {y};
    }
}
