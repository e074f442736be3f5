package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A 3x3 stride-1 convolution as Winograd F(2x2, 3x3) ({@link Winograd}) on the vector kernel, in two rounds
 * (three with a residual):
 * <ol>
 *   <li>The input planes are copied, zero-padded, into column phases: {@code E[r][u]} and {@code O[r][u]} hold
 *       padded columns {@code 2u} and {@code 2u+1} of padded row r (see {@link #fillPhases}). A tile's 4x4 patch is then 4 rows of
 *       {@code E[tx], O[tx], E[tx+1], O[tx+1]}: whole-vector loads for 16 neighbouring tiles, no gathers,
 *       no padding tests.</li>
 *   <li>Tasks take a block of 48 tiles (the kernel's 3-vector column block) and a range of output channels.
 *       Each transforms its tiles' patches into the 16 GEMM B operands (in L2), runs the 16 GEMMs with the
 *       weights transformed at compile time, 64 output channels at a time so that the 16 accumulator blocks
 *       stay in L2, and transforms those back into 2x2 outputs with bias and activation.</li>
 *   <li>With a residual, the activation waits for a last pass that adds the residual in memory order. Read
 *       in the second round, the residual comes as short row pieces of every output channel's plane, which
 *       the hardware prefetchers do not follow. Measured on Zen 5, 2 threads, batch 8 (the residual beyond
 *       L2), conv with residual and ReLU: 56x56x64 6.2-6.3 ms that way, 4.9 ms with this pass; 28x28x128
 *       4.0-4.2 against 3.5-3.6 ms. At batch 1 both ways take the same time.</li>
 * </ol>
 * The GEMMs do 16 multiply-adds per 2x2 tile and channel pair where direct convolution does 4 * 9 = 36.
 */
final class WinogradConvStep implements Step {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = Sgemm.MR;
    private static final int POS = Winograd.POSITIONS;
    /** Tiles per task: the vector kernel's widest column block. */
    private static final int BLOCK = 3 * L;
    /** Output-channel panels whose 16 accumulator blocks are live at once: 64 channels, 192 KiB at 512 bits. */
    private static final int CHUNK = 8;
    /** Accumulator row length: a block, plus a vector that a transform reads past a segment's last tile. */
    private static final int ACC_COLS = 4 * L;
    /** Interleaves two vectors' lower halves (lane 2i from the first, 2i+1 from the second) ... */
    private static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(S, i -> i / 2 + (i % 2) * L);
    /** ... and their upper halves. */
    private static final VectorShuffle<Float> ZIP_HI = VectorShuffle.fromOp(S, i -> L / 2 + i / 2 + (i % 2) * L);
    /** The even lanes of two vectors, then the odd ones. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    private final int x, y, phases, residual;
    private final int batch, cin, cout, h, w, oh, ow, pt, pl;
    private final int tw, tiles, hp, we, phasePlane, blocks, splits, panels;
    private final PackedA[] u;
    private final float[] bias; // null: none
    private final Activation act;
    private final float lo, hi;  // the clamp the second round applies: the activation, or none with a residual

    /**
     * @param phases a temporary of {@link #phaseSize} floats; @param residual a value of the output's shape
     * added before the activation, or -1; @param w weights [cout, cin, 3, 3]; @param bias [cout] or null
     */
    WinogradConvStep(int x, int y, int phases, int residual, int[] xs, int[] ys, float[] w, float[] bias,
                     ConvGeometry g, Activation act, int threads, Workspace.Spec spec) {
        this.x = x;
        this.y = y;
        this.phases = phases;
        this.residual = residual;
        this.batch = xs[0];
        this.cin = xs[1];
        this.cout = ys[1];
        this.h = g.h();
        this.w = g.w();
        this.oh = g.oh();
        this.ow = g.ow();
        this.pt = g.pt();
        this.pl = g.pl();
        this.tw = Winograd.tiles(ow);
        this.tiles = Winograd.tiles(oh) * tw;
        this.hp = 2 * Winograd.tiles(oh) + 2;
        this.we = tw + 1;
        this.phasePlane = 2 * hp * we;
        this.blocks = (tiles + BLOCK - 1) / BLOCK;
        this.panels = PackedA.panels(cout);
        this.splits = splits(batch * blocks, panels, threads);
        this.u = Winograd.transformWeights(w, cout, cin);
        this.bias = bias;
        this.act = act;
        this.lo = residual < 0 ? act.min() : Float.NEGATIVE_INFINITY;
        this.hi = residual < 0 ? act.max() : Float.POSITIVE_INFINITY;
        spec.needWinograd(POS * posStride(BLOCK), POS * Math.min(CHUNK, panels) * MR, ACC_COLS);
    }

    /**
     * Output-channel ranges per tile block: enough tasks for two per thread where the blocks alone are fewer
     * (a 14x14 map has 49 tiles: one full block and a 1-tile one, which must not leave a thread idle).
     */
    static int splits(int units, int panels, int threads) {
        int splits = 1;
        while ((long) units * splits < 2L * threads && splits < panels) splits++;
        return splits;
    }

    /** Floats of the phase-plane temporary for {@code batch} images. */
    static int phaseSize(int batch, int cin, ConvGeometry g) {
        int hp = 2 * Winograd.tiles(g.oh()) + 2, we = Winograd.tiles(g.ow()) + 1;
        return Math.addExact(Math.multiplyExact(Math.multiplyExact(batch, cin), 2 * hp * we), 2 * L);
    }

    @Override
    public void run(Frame f) {
        float[] in = f.get(x), ph = f.get(phases), out = f.get(y), res = residual < 0 ? null : f.get(residual);
        int planes = batch * cin, chunks = Chunks.count(planes, phasePlane, f.workspaces().length);
        f.pool().parallelFor(chunks, (t, worker) -> {
            for (int p = Chunks.start(t, chunks, planes), end = Chunks.start(t + 1, chunks, planes); p < end; p++) {
                fillPhases(in, p * h * w, ph, p * phasePlane);
            }
        });
        f.pool().parallelFor(batch * blocks * splits, (t, worker) -> {
            int split = t % splits, blk = t / splits % blocks, n = t / splits / blocks;
            Workspace ws = f.workspaces()[worker];
            int t0 = blk * BLOCK, nb = Math.min(BLOCK, tiles - t0), wv = (nb + L - 1) / L * L;
            transformInput(ph, n * cin * phasePlane, t0, nb, wv, ws.winoV);
            int p1 = Chunks.start(split + 1, splits, panels);
            for (int pc = Chunks.start(split, splits, panels); pc < p1; pc += CHUNK) {
                int pe = Math.min(p1, pc + CHUNK);
                multiply(ws, pc, pe, wv);
                transformOutput(ws.winoAcc, (pe - pc) * MR, pc * MR, Math.min(pe * MR, cout), t0, nb, out,
                        n * cout * oh * ow, ws.rowA);
            }
        });
        if (res == null) return;
        int total = batch * cout * oh * ow, parts = Chunks.count(total, 1, f.workspaces().length);
        f.pool().parallelFor(parts, (t, worker) -> VectorActivation.scaleShiftApply(act, out, res, out,
                Chunks.start(t, parts, total), Chunks.start(t + 1, parts, total), 1f, 0f));
    }

    /**
     * One input plane into its column phases, zero where the padded position is outside the input: per padded
     * row r, {@code E} at {@code dst + 2r*we} and {@code O} right after it. Each vector of E and O is two
     * loads (lanes outside the input row read as zero, see {@link VectorCopies#load}) and two lane permutations.
     */
    private void fillPhases(float[] in, int src, float[] ph, int dst) {
        for (int r = 0; r < hp; r++) {
            int e = dst + 2 * r * we, iy = r - pt;
            if (iy < 0 || iy >= h) {
                Arrays.fill(ph, e, e + 2 * we, 0f);
                continue;
            }
            int row = src + iy * w;
            for (int u0 = 0; u0 < we; u0 += L) {
                int start = 2 * u0 - pl; // padded column 2 * u0 is input column start
                FloatVector a = VectorCopies.load(in, row + start, S.indexInRange(start, w));
                FloatVector b = VectorCopies.load(in, row + start + L, S.indexInRange(start + L, w));
                VectorMask<Float> m = S.indexInRange(u0, we);
                a.rearrange(EVEN, b).intoArray(ph, e + u0, m);
                a.rearrange(ODD, b).intoArray(ph, e + we + u0, m);
            }
        }
    }

    /**
     * Floats from one position's B operand to the next: a cache line more than the operand, so that the 16
     * stores of {@link #inputVector} do not all map to one L1 set (with 64 channels the operand is 12 KiB,
     * a multiple of 4 KiB).
     */
    private int posStride(int wv) {
        return cin * wv + 16;
    }

    /**
     * The B operands of tiles [t0, t0+nb) into {@code v}: position p, channel c, tile t at
     * {@code p*posStride + c*wv + t - t0}, a run of tiles within one row of tiles at a time.
     */
    private void transformInput(float[] ph, int image, int t0, int nb, int wv, float[] v) {
        for (int t = t0; t < t0 + nb; ) {
            int ty = t / tw, tx = t % tw, n = Math.min(tw - tx, t0 + nb - t);
            for (int c = 0; c < cin; c++) {
                int e = image + c * phasePlane + 2 * (2 * ty) * we + tx;
                for (int j = 0; j < n; j += L) {
                    inputVector(ph, e + j, v, c * wv + t - t0 + j, posStride(wv), Math.min(L, n - j));
                }
            }
            t += n;
        }
    }

    /**
     * {@code B^T d B} for {@code count} neighbouring tiles whose patches start at phase index {@code e},
     * stored at {@code vo} and then every {@code stride} floats per position.
     * B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]].
     */
    private void inputVector(float[] ph, int e, float[] v, int vo, int stride, int count) {
        int odd = we, r = 2 * we;
        // columns first: t[a][j] = (B^T d[a])[j] for the 4 rows a of the patch
        FloatVector d0 = FloatVector.fromArray(S, ph, e), d1 = FloatVector.fromArray(S, ph, e + odd);
        FloatVector d2 = FloatVector.fromArray(S, ph, e + 1), d3 = FloatVector.fromArray(S, ph, e + odd + 1);
        FloatVector t00 = d0.sub(d2), t01 = d1.add(d2), t02 = d2.sub(d1), t03 = d1.sub(d3);
        d0 = FloatVector.fromArray(S, ph, e + r);
        d1 = FloatVector.fromArray(S, ph, e + r + odd);
        d2 = FloatVector.fromArray(S, ph, e + r + 1);
        d3 = FloatVector.fromArray(S, ph, e + r + odd + 1);
        FloatVector t10 = d0.sub(d2), t11 = d1.add(d2), t12 = d2.sub(d1), t13 = d1.sub(d3);
        d0 = FloatVector.fromArray(S, ph, e + 2 * r);
        d1 = FloatVector.fromArray(S, ph, e + 2 * r + odd);
        d2 = FloatVector.fromArray(S, ph, e + 2 * r + 1);
        d3 = FloatVector.fromArray(S, ph, e + 2 * r + odd + 1);
        FloatVector t20 = d0.sub(d2), t21 = d1.add(d2), t22 = d2.sub(d1), t23 = d1.sub(d3);
        d0 = FloatVector.fromArray(S, ph, e + 3 * r);
        d1 = FloatVector.fromArray(S, ph, e + 3 * r + odd);
        d2 = FloatVector.fromArray(S, ph, e + 3 * r + 1);
        d3 = FloatVector.fromArray(S, ph, e + 3 * r + odd + 1);
        FloatVector t30 = d0.sub(d2), t31 = d1.add(d2), t32 = d2.sub(d1), t33 = d1.sub(d3);
        // then rows, position (i, j) = row i of B^T applied to column j
        VectorMask<Float> m = S.indexInRange(0, count);
        t00.sub(t20).intoArray(v, vo, m);
        t01.sub(t21).intoArray(v, vo + stride, m);
        t02.sub(t22).intoArray(v, vo + 2 * stride, m);
        t03.sub(t23).intoArray(v, vo + 3 * stride, m);
        t10.add(t20).intoArray(v, vo + 4 * stride, m);
        t11.add(t21).intoArray(v, vo + 5 * stride, m);
        t12.add(t22).intoArray(v, vo + 6 * stride, m);
        t13.add(t23).intoArray(v, vo + 7 * stride, m);
        t20.sub(t10).intoArray(v, vo + 8 * stride, m);
        t21.sub(t11).intoArray(v, vo + 9 * stride, m);
        t22.sub(t12).intoArray(v, vo + 10 * stride, m);
        t23.sub(t13).intoArray(v, vo + 11 * stride, m);
        t10.sub(t30).intoArray(v, vo + 12 * stride, m);
        t11.sub(t31).intoArray(v, vo + 13 * stride, m);
        t12.sub(t32).intoArray(v, vo + 14 * stride, m);
        t13.sub(t33).intoArray(v, vo + 15 * stride, m);
    }

    /**
     * The 16 GEMMs of output-channel panels [pc, pe) for the tile block in {@code ws.winoV}: accumulator row
     * {@code (p*(pe-pc) + panel)*MR + i} holds position p of output channel {@code (pc + panel)*MR + i}.
     */
    private void multiply(Workspace ws, int pc, int pe, int wv) {
        float[][] acc = ws.winoAcc;
        float[] v = ws.winoV;
        VectorMicroKernel kernel = (VectorMicroKernel) ws.kernel;
        int rows = POS * (pe - pc) * MR;
        for (int r = 0; r < rows; r++) Arrays.fill(acc[r], 0, wv, 0f);
        for (int p = 0; p < POS; p++) {
            PackedA a = u[p];
            for (int k0 = 0; k0 < cin; k0 += Sgemm.KC) {
                int kc = Math.min(Sgemm.KC, cin - k0), bo = p * posStride(wv) + k0 * wv;
                for (int panel = pc; panel < pe; panel++) {
                    kernel.multiplyBlocked(a.data(), a.at(panel, k0), kc, v, bo, wv, wv, acc,
                            (p * (pe - pc) + panel - pc) * MR, 0);
                }
            }
        }
    }

    /**
     * Output channels [m0, m1) of tiles [t0, t0+nb) from the accumulators ({@code stride} rows apart per
     * position): {@code A^T M A}, bias and the clamp, stored as 2x2 blocks of the output plane.
     */
    private void transformOutput(float[][] acc, int stride, int m0, int m1, int t0, int nb, float[] out, int image,
                                 float[] scratch) {
        int plane = oh * ow;
        for (int m = m0; m < m1; m++) {
            float b = bias == null ? 0f : bias[m];
            int row = m - m0;
            for (int t = t0; t < t0 + nb; ) {
                int ty = t / tw, tx = t % tw, n = Math.min(tw - tx, t0 + nb - t);
                int o = image + m * plane + 2 * ty * ow + 2 * tx;
                boolean second = 2 * ty + 1 < oh;
                for (int j = 0; j < n; j += L) {
                    outputVector(acc, row, stride, t - t0 + j, b, scratch);
                    int cols = Math.min(2 * Math.min(L, n - j), ow - 2 * (tx + j));
                    store(scratch, 0, out, o + 2 * j, cols);
                    if (second) store(scratch, 2 * L, out, o + ow + 2 * j, cols);
                }
                t += n;
            }
        }
    }

    /**
     * {@code A^T M A + bias} for the tiles at accumulator column {@code j}: output row 0 of the 2x2 blocks,
     * interleaved, into {@code dst[0, 2L)} and row 1 into {@code dst[2L, 4L)}. A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].
     */
    private static void outputVector(float[][] acc, int row, int stride, int j, float bias, float[] dst) {
        FloatVector m00 = FloatVector.fromArray(S, acc[row], j), m01 = FloatVector.fromArray(S, acc[row + stride], j);
        FloatVector m02 = FloatVector.fromArray(S, acc[row + 2 * stride], j);
        FloatVector m03 = FloatVector.fromArray(S, acc[row + 3 * stride], j);
        FloatVector m10 = FloatVector.fromArray(S, acc[row + 4 * stride], j);
        FloatVector m11 = FloatVector.fromArray(S, acc[row + 5 * stride], j);
        FloatVector m12 = FloatVector.fromArray(S, acc[row + 6 * stride], j);
        FloatVector m13 = FloatVector.fromArray(S, acc[row + 7 * stride], j);
        FloatVector m20 = FloatVector.fromArray(S, acc[row + 8 * stride], j);
        FloatVector m21 = FloatVector.fromArray(S, acc[row + 9 * stride], j);
        FloatVector m22 = FloatVector.fromArray(S, acc[row + 10 * stride], j);
        FloatVector m23 = FloatVector.fromArray(S, acc[row + 11 * stride], j);
        // rows: s0 = M0 + M1 + M2, s1 = M1 - M2 - M3 (position rows)
        FloatVector s00 = m00.add(m10).add(m20), s01 = m01.add(m11).add(m21);
        FloatVector s02 = m02.add(m12).add(m22), s03 = m03.add(m13).add(m23);
        FloatVector s10 = m10.sub(m20), s11 = m11.sub(m21), s12 = m12.sub(m22), s13 = m13.sub(m23);
        s10 = s10.sub(FloatVector.fromArray(S, acc[row + 12 * stride], j));
        s11 = s11.sub(FloatVector.fromArray(S, acc[row + 13 * stride], j));
        s12 = s12.sub(FloatVector.fromArray(S, acc[row + 14 * stride], j));
        s13 = s13.sub(FloatVector.fromArray(S, acc[row + 15 * stride], j));
        FloatVector b = FloatVector.broadcast(S, bias);
        // then columns, and the two outputs of each tile row side by side
        FloatVector y00 = s00.add(s01).add(s02).add(b), y01 = s01.sub(s02).sub(s03).add(b);
        FloatVector y10 = s10.add(s11).add(s12).add(b), y11 = s11.sub(s12).sub(s13).add(b);
        y00.rearrange(ZIP_LO, y01).intoArray(dst, 0);
        y00.rearrange(ZIP_HI, y01).intoArray(dst, L);
        y10.rearrange(ZIP_LO, y11).intoArray(dst, 2 * L);
        y10.rearrange(ZIP_HI, y11).intoArray(dst, 3 * L);
    }

    /** out[o + i] = clamp(src[so + i]) for i in [0, count), count at most 2L. */
    private void store(float[] src, int so, float[] out, int o, int count) {
        FloatVector lower = FloatVector.broadcast(S, lo), upper = FloatVector.broadcast(S, hi);
        for (int i = 0; i < count; i += L) {
            VectorMask<Float> m = S.indexInRange(i, count);
            FloatVector v = FloatVector.fromArray(S, src, so + i);
            v = v.blend(lower, v.lt(lower));
            v = v.blend(upper, v.compare(VectorOperators.GT, upper));
            v.intoArray(out, o + i, m);
        }
    }

    @Override
    public int[] reads() {
        return residual < 0 ? new int[] {x} : new int[] {x, residual};
    }

    @Override
    public int[] writes() {
        return new int[] {y, phases};
    }
}
