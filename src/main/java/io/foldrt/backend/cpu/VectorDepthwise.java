package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * One output plane of a {@link DepthwiseConvStep} on the Vector API; only created when the backend's
 * kernel is the vector one, so a JVM without the module never loads it.
 *
 * <p>The input plane is first copied into a zero-padded scratch plane holding exactly the rows and columns
 * the windows cover, so taps need no bounds logic; the padding is zeroed once per run of planes
 * ({@link #begin}) and each plane writes only its interior. The input of tap (ky, kx) for output columns
 * {@code ox .. ox + L-1} then starts at a fixed offset from the output row's base: one vector at stride 1
 * (any dilation), the even lanes of two adjacent vectors at stride 2 (a lane permutation; the 3x3 kernel
 * also takes its middle tap as the odd lanes of the same pair), a gather at larger strides. Each output
 * vector sums all its taps in a register (bias first, taps in the loop code's order) and is clamped by the
 * activation before its only store.
 *
 * <p>No store is masked or conditional (measured: a masked store of each row's last vector, or a branch
 * around it, made the stride-2 loop 2.5x slower): a row's last vector is moved back to end at the row's
 * end, and a plane whose rows are narrower than a vector is computed into scratch and copied out. At stride
 * 1 such a plane is computed as one flat row over the padded grid: output (oy, ox) is element
 * {@code oy * rowStride + ox}, and every tap reads the padded plane at that index plus its offset, so a 7x7
 * map takes 4 vectors instead of 7 (one per row), independent of each other; the columns between rows are
 * dropped in the copy. Short rows are copied in and out as single vectors (masked where they could run
 * past the array), not by calls to arraycopy. Measured on Zen 5, one thread, against one vector per row,
 * arraycopy per row and the padding rewritten per plane: MobileNetV2's 7x7x960 layer 0.18-0.29 to 0.11
 * ms, 14x14x384 0.15-0.22 to 0.10 ms, the whole model 9.9 to 8.6 ms (1 thread) and 5.7 to 5.1 ms (2).
 */
final class VectorDepthwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Lanes 0, 2, 4, ... and 1, 3, 5, ... of two concatenated vectors. */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    private final ConvGeometry g;
    private final Activation act;
    private final int rowStride;   // padded row: the columns the windows cover, from the left pad on
    private final int paddedRows;  // likewise the rows, from the top pad on
    private final int[] tapOffset; // tap (ky, kx): its first input column for output column 0, from the row base
    private final int[] strideMap; // gather lane offsets 0, sw, 2sw, ... (strides above 2)
    private final float lo, hi;    // the activation as a clamp, or (-inf, inf) when it is applied afterwards
    private final boolean activateAfter;
    private final int fillCols;              // input columns copied per row (those the windows reach)
    private final VectorMask<Float> fillMask; // the first fillCols lanes, where a row is narrower than a vector

    VectorDepthwise(ConvGeometry g, Activation act, Workspace.Spec spec) {
        this.g = g;
        this.act = act;
        int sw = g.sw();
        rowStride = (g.ow() - 1) * sw + (g.kw() - 1) * g.dw() + 1;
        paddedRows = (g.oh() - 1) * g.sh() + (g.kh() - 1) * g.dh() + 1;
        tapOffset = new int[g.kh() * g.kw()];
        for (int ky = 0; ky < g.kh(); ky++) {
            for (int kx = 0; kx < g.kw(); kx++) tapOffset[ky * g.kw() + kx] = ky * g.dh() * rowStride + kx * g.dw();
        }
        strideMap = new int[L];
        for (int i = 0; i < L; i++) strideMap[i] = i * sw;
        // Clip with min > max follows the reference rule exactly, in a scalar pass (never seen in models).
        activateAfter = act.kind() == Activation.Kind.CLIP && !(act.min() <= act.max());
        lo = activateAfter ? Float.NEGATIVE_INFINITY : act.min();
        hi = activateAfter ? Float.POSITIVE_INFINITY : act.max();
        fillCols = Math.min(g.w(), rowStride - g.pl());
        fillMask = S.indexInRange(0, Math.max(0, Math.min(fillCols, L)));
        // rowA: the padded plane, plus what the last vector of taps reads past its end (sw vectors' worth).
        spec.needRow(paddedRows * rowStride + sw * L);
        if (g.ow() < L) spec.needRow(g.oh() * rowStride + L); // rowB: a plane of narrow rows, see plane()
    }

    /** Zeros the padded plane of this worker before a run of {@link #plane} calls, which write its interior. */
    void begin(Workspace ws) {
        Arrays.fill(ws.rowA, 0, paddedRows * rowStride + g.sw() * L, 0f);
    }

    /**
     * out[outBase ..] = the plane of output channel weights w[wBase ..] and bias b over input plane inBase.
     * The worker's padded plane must have been zeroed by {@link #begin} (the interior is overwritten here).
     */
    void plane(float[] in, int inBase, float[] out, int outBase, float[] w, int wBase, float b, Workspace ws) {
        fill(in, inBase, ws.rowA);
        int ow = g.ow(), size = g.oh() * ow;
        boolean k3 = g.kh() == 3 && g.kw() == 3;
        if (ow < L && g.sh() == 1 && g.sw() == 1) {
            // Narrow rows, stride 1: one flat row over the padded grid into rowB, then the real columns out.
            float[] flat = ws.rowB;
            int n = (g.oh() - 1) * rowStride + ow;
            if (k3) rows3x3(ws.rowA, flat, 0, w, wBase, b, 1, n, 0);
            else rows(ws.rowA, flat, 0, w, wBase, b, 1, n, 0);
            for (int oy = 0; oy < g.oh(); oy++) {
                int o = outBase + oy * ow, f = oy * rowStride;
                if (oy * ow + L <= size) {
                    // A whole vector: what it writes past the row lands in rows stored after it.
                    FloatVector.fromArray(S, flat, f).intoArray(out, o);
                } else {
                    for (int ox = 0; ox < ow; ox++) out[o + ox] = flat[f + ox]; // would run past the plane
                }
            }
        } else {
            // Rows narrower than a vector are stored whole into rowB, each running into the next, then copied.
            boolean narrow = ow < L;
            float[] dst = narrow ? ws.rowB : out;
            int dstBase = narrow ? 0 : outBase, step = g.sh() * rowStride;
            if (k3 && g.sw() == 1) {
                rows3x3(ws.rowA, dst, dstBase, w, wBase, b, g.oh(), ow, step);
            } else if (k3 && g.sw() == 2 && g.dw() == 1) {
                rows3x3Stride2(ws.rowA, dst, dstBase, w, wBase, b);
            } else {
                rows(ws.rowA, dst, dstBase, w, wBase, b, g.oh(), ow, step);
            }
            if (narrow) System.arraycopy(dst, 0, out, outBase, size);
        }
        if (activateAfter) ActivationLoops.apply(act, out, outBase, outBase + size);
    }

    /**
     * The first output column of the vector for columns from j: j itself, but the last vector of a row is
     * moved back to end at the row's end (recomputing a few columns), so that no store leaves its row
     * (rows narrower than a vector: 0).
     */
    private static int column(int j, int ow) {
        return Math.max(0, Math.min(j, ow - L));
    }

    /**
     * Copies the input plane into the interior of the padded one: the rows and columns the windows reach.
     * The padding around it stays as {@link #begin} zeroed it.
     */
    private void fill(float[] in, int inBase, float[] padded) {
        int width = g.w(), rows = Math.min(g.h(), paddedRows - g.pt()), cols = fillCols;
        for (int iy = 0; iy < rows; iy++) {
            int s = inBase + iy * width, d = (iy + g.pt()) * rowStride + g.pl();
            if (cols >= L) {
                System.arraycopy(in, s, padded, d, cols);
            } else if (cols > 0) {
                // A short row as one vector, zero past its end: the zeros land on padding, or on the interior
                // of the rows below, which are copied after this one (a call to arraycopy costs more).
                VectorCopies.load(in, s, fillMask).intoArray(padded, d);
            }
        }
    }

    /**
     * 3x3 at stride 1 (any dilation): nine weight vectors and tap offsets in registers for the whole plane;
     * {@code oh} rows of {@code ow} outputs, row oy reading the padded plane from {@code oy * step}.
     */
    private void rows3x3(float[] p, float[] out, int outBase, float[] w, int wBase, float b, int oh, int ow, int step) {
        int[] o = tapOffset;
        int o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3], o4 = o[4], o5 = o[5], o6 = o[6], o7 = o[7], o8 = o[8];
        FloatVector w0 = FloatVector.broadcast(S, w[wBase]), w1 = FloatVector.broadcast(S, w[wBase + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wBase + 2]), w3 = FloatVector.broadcast(S, w[wBase + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wBase + 4]), w5 = FloatVector.broadcast(S, w[wBase + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wBase + 6]), w7 = FloatVector.broadcast(S, w[wBase + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wBase + 8]);
        FloatVector bias = FloatVector.broadcast(S, b), min = FloatVector.broadcast(S, lo);
        FloatVector max = FloatVector.broadcast(S, hi);
        for (int oy = 0; oy < oh; oy++) {
            int base = oy * step, outRow = outBase + oy * ow;
            for (int j = 0; j < ow; j += L) {
                int c = column(j, ow), i = base + c;
                FloatVector acc = FloatVector.fromArray(S, p, i + o0).fma(w0, bias);
                acc = FloatVector.fromArray(S, p, i + o1).fma(w1, acc);
                acc = FloatVector.fromArray(S, p, i + o2).fma(w2, acc);
                acc = FloatVector.fromArray(S, p, i + o3).fma(w3, acc);
                acc = FloatVector.fromArray(S, p, i + o4).fma(w4, acc);
                acc = FloatVector.fromArray(S, p, i + o5).fma(w5, acc);
                acc = FloatVector.fromArray(S, p, i + o6).fma(w6, acc);
                acc = FloatVector.fromArray(S, p, i + o7).fma(w7, acc);
                acc = FloatVector.fromArray(S, p, i + o8).fma(w8, acc);
                acc.max(min).min(max).intoArray(out, outRow + c);
            }
        }
    }

    /**
     * 3x3 at stride 2, dilation 1: per kernel row, taps 0 and 1 are the even and odd lanes of the vector pair
     * at the row's first column, tap 2 the even lanes of the pair two columns on. The calls stay written
     * out: with a small helper returning a vector, C2 ran out of inlining budget here and boxed every vector
     * (measured 2x slower).
     */
    private void rows3x3Stride2(float[] p, float[] out, int outBase, float[] w, int wBase, float b) {
        int ow = g.ow(), step = g.sh() * rowStride, r1 = tapOffset[3], r2 = tapOffset[6];
        FloatVector w0 = FloatVector.broadcast(S, w[wBase]), w1 = FloatVector.broadcast(S, w[wBase + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wBase + 2]), w3 = FloatVector.broadcast(S, w[wBase + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wBase + 4]), w5 = FloatVector.broadcast(S, w[wBase + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wBase + 6]), w7 = FloatVector.broadcast(S, w[wBase + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wBase + 8]);
        FloatVector bias = FloatVector.broadcast(S, b), min = FloatVector.broadcast(S, lo);
        FloatVector max = FloatVector.broadcast(S, hi);
        for (int oy = 0; oy < g.oh(); oy++) {
            int base = oy * step, outRow = outBase + oy * ow;
            for (int j = 0; j < ow; j += L) {
                int c = column(j, ow), i = base + 2 * c;
                FloatVector x = FloatVector.fromArray(S, p, i), y = FloatVector.fromArray(S, p, i + L);
                FloatVector acc = x.rearrange(EVEN, y).fma(w0, bias);
                acc = x.rearrange(ODD, y).fma(w1, acc);
                acc = FloatVector.fromArray(S, p, i + 2)
                        .rearrange(EVEN, FloatVector.fromArray(S, p, i + 2 + L)).fma(w2, acc);
                x = FloatVector.fromArray(S, p, i + r1);
                y = FloatVector.fromArray(S, p, i + r1 + L);
                acc = x.rearrange(EVEN, y).fma(w3, acc);
                acc = x.rearrange(ODD, y).fma(w4, acc);
                acc = FloatVector.fromArray(S, p, i + r1 + 2)
                        .rearrange(EVEN, FloatVector.fromArray(S, p, i + r1 + 2 + L)).fma(w5, acc);
                x = FloatVector.fromArray(S, p, i + r2);
                y = FloatVector.fromArray(S, p, i + r2 + L);
                acc = x.rearrange(EVEN, y).fma(w6, acc);
                acc = x.rearrange(ODD, y).fma(w7, acc);
                acc = FloatVector.fromArray(S, p, i + r2 + 2)
                        .rearrange(EVEN, FloatVector.fromArray(S, p, i + r2 + 2 + L)).fma(w8, acc);
                acc.max(min).min(max).intoArray(out, outRow + c);
            }
        }
    }

    /** Any kernel, stride and dilation: the taps in a loop, weights broadcast per tap (rows as in rows3x3). */
    private void rows(float[] p, float[] out, int outBase, float[] w, int wBase, float b, int oh, int ow, int step) {
        int sw = g.sw(), taps = tapOffset.length;
        FloatVector bias = FloatVector.broadcast(S, b), min = FloatVector.broadcast(S, lo);
        FloatVector max = FloatVector.broadcast(S, hi);
        for (int oy = 0; oy < oh; oy++) {
            int base = oy * step, outRow = outBase + oy * ow;
            for (int j = 0; j < ow; j += L) {
                int c = column(j, ow);
                FloatVector acc = bias;
                for (int t = 0; t < taps; t++) {
                    acc = tap(p, base + c * sw + tapOffset[t], sw).fma(FloatVector.broadcast(S, w[wBase + t]), acc);
                }
                acc.max(min).min(max).intoArray(out, outRow + c);
            }
        }
    }

    /** p[i], p[i + sw], ..., p[i + (L-1) * sw]. */
    private FloatVector tap(float[] p, int i, int sw) {
        return switch (sw) {
            case 1 -> FloatVector.fromArray(S, p, i);
            case 2 -> FloatVector.fromArray(S, p, i).rearrange(EVEN, FloatVector.fromArray(S, p, i + L));
            default -> FloatVector.fromArray(S, p, i, strideMap, 0);
        };
    }
}
