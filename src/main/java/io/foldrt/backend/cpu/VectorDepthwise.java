package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One output plane of a {@link DepthwiseConvStep} on the Vector API; only created when the backend's
 * kernel is the vector one, so a JVM without the module never loads it.
 *
 * <p>The input plane is first copied into a zero-padded scratch plane, where each padded row is stored as
 * {@code sw} phases (columns {@code r, r + sw, r + 2sw, ...} for phase r): then the input of tap (ky, kx)
 * for output columns {@code ox .. ox + L-1} is one contiguous vector at a fixed offset from the output
 * row's base, at any stride, dilation or padding, with no bounds logic. Each output vector sums all taps
 * in a register (bias first, taps in the same order as the loop code) and is clamped by the activation
 * before its only store; the last vector of a row is stored under a mask.
 *
 * <p>Lanes past the row end read whatever follows in the scratch plane; their results are never stored.
 */
final class VectorDepthwise {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Lane indices that pick the even / odd elements of two concatenated vectors. */
    private static final FloatVector EVEN = FloatVector.fromArray(S, lanes(0), 0);
    private static final FloatVector ODD = FloatVector.fromArray(S, lanes(1), 0);

    private final ConvGeometry g;
    private final Activation act;
    private final int phaseLen;   // floats per phase of a padded row: the columns any output reads
    private final int rowStride;  // sw phases
    private final int paddedRows; // rows any output reads, from the first (top pad) on
    private final int[] tapOffset; // tap (ky, kx) input offset from its output row's base, in the padded plane
    private final float lo, hi;   // the activation as a clamp, or (-inf, inf) when it is applied afterwards
    private final boolean activateAfter;

    VectorDepthwise(ConvGeometry g, Activation act, Workspace.Spec spec) {
        this.g = g;
        this.act = act;
        int sw = g.sw();
        phaseLen = g.ow() + (g.kw() - 1) * g.dw() / sw;
        rowStride = sw * phaseLen;
        paddedRows = (g.oh() - 1) * g.sh() + (g.kh() - 1) * g.dh() + 1;
        tapOffset = new int[g.kh() * g.kw()];
        for (int ky = 0; ky < g.kh(); ky++) {
            for (int kx = 0; kx < g.kw(); kx++) {
                int col = kx * g.dw();
                tapOffset[ky * g.kw() + kx] = ky * g.dh() * rowStride + (col % sw) * phaseLen + col / sw;
            }
        }
        // Clip with min > max follows the reference rule exactly, in a scalar pass (never seen in models).
        activateAfter = act.kind() == Activation.Kind.CLIP && !(act.min() <= act.max());
        lo = activateAfter ? Float.NEGATIVE_INFINITY : act.min();
        hi = activateAfter ? Float.POSITIVE_INFINITY : act.max();
        spec.needRow(paddedRows * rowStride + L); // rowA: the padded plane, plus one vector read past its end
        if (sw > 1) spec.needRow(rowStride + 2 * L); // rowB: one padded row before it is split into phases
    }

    /** out[outBase ..] = the plane of output channel weights w[wBase ..] and bias b over input plane inBase. */
    void plane(float[] in, int inBase, float[] out, int outBase, float[] w, int wBase, float b, Workspace ws) {
        float[] padded = ws.rowA;
        fill(in, inBase, padded, ws.rowB);
        if (g.kh() == 3 && g.kw() == 3) {
            rows3x3(padded, out, outBase, w, wBase, b);
        } else {
            rows(padded, out, outBase, w, wBase, b);
        }
    }

    /** Copies the input plane into the padded, phase-split layout, zeros where the window leaves it. */
    private void fill(float[] in, int inBase, float[] padded, float[] row) {
        int h = g.h(), width = g.w(), sw = g.sw();
        for (int py = 0; py < paddedRows; py++) {
            int iy = py - g.pt(), dst = py * rowStride;
            if (iy < 0 || iy >= h) {
                Arrays.fill(padded, dst, dst + rowStride, 0f);
            } else if (sw == 1) {
                ConvGeometry.gatherRow(in, inBase + iy * width, width, -g.pl(), 1, padded, dst, phaseLen, 0f);
            } else {
                ConvGeometry.gatherRow(in, inBase + iy * width, width, -g.pl(), 1, row, 0, rowStride, 0f);
                split(row, padded, dst);
            }
        }
    }

    /**
     * padded[dst + r*phaseLen + i] = row[i*sw + r]. For stride 2, two loads and two lane permutations per
     * 2L columns; whole vectors overrun each phase, so the evens are written before the odds, and the odds'
     * overrun lands in the next row, written after this one.
     */
    private void split(float[] row, float[] padded, int dst) {
        int sw = g.sw();
        if (sw == 2) {
            for (int i = 0; i < phaseLen; i += L) {
                FloatVector a = FloatVector.fromArray(S, row, 2 * i), b = FloatVector.fromArray(S, row, 2 * i + L);
                EVEN.selectFrom(a, b).intoArray(padded, dst + i);
            }
            for (int i = 0; i < phaseLen; i += L) {
                FloatVector a = FloatVector.fromArray(S, row, 2 * i), b = FloatVector.fromArray(S, row, 2 * i + L);
                ODD.selectFrom(a, b).intoArray(padded, dst + phaseLen + i);
            }
        } else {
            for (int r = 0; r < sw; r++) {
                for (int i = 0; i < phaseLen; i++) padded[dst + r * phaseLen + i] = row[i * sw + r];
            }
        }
    }

    /** The common 3x3 kernel: nine weight vectors and tap offsets held in registers for the whole plane. */
    private void rows3x3(float[] p, float[] out, int outBase, float[] w, int wBase, float b) {
        int ow = g.ow(), step = g.sh() * rowStride;
        int[] o = tapOffset;
        int o0 = o[0], o1 = o[1], o2 = o[2], o3 = o[3], o4 = o[4], o5 = o[5], o6 = o[6], o7 = o[7], o8 = o[8];
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
                int i = base + j;
                FloatVector acc = FloatVector.fromArray(S, p, i + o0).fma(w0, bias);
                acc = FloatVector.fromArray(S, p, i + o1).fma(w1, acc);
                acc = FloatVector.fromArray(S, p, i + o2).fma(w2, acc);
                acc = FloatVector.fromArray(S, p, i + o3).fma(w3, acc);
                acc = FloatVector.fromArray(S, p, i + o4).fma(w4, acc);
                acc = FloatVector.fromArray(S, p, i + o5).fma(w5, acc);
                acc = FloatVector.fromArray(S, p, i + o6).fma(w6, acc);
                acc = FloatVector.fromArray(S, p, i + o7).fma(w7, acc);
                acc = FloatVector.fromArray(S, p, i + o8).fma(w8, acc);
                store(acc.max(min).min(max), out, outRow, j, ow);
            }
            if (activateAfter) ActivationLoops.apply(act, out, outRow, outRow + ow);
        }
    }

    /** Any kernel size: the taps in a loop, weights broadcast per tap. */
    private void rows(float[] p, float[] out, int outBase, float[] w, int wBase, float b) {
        int ow = g.ow(), step = g.sh() * rowStride, taps = tapOffset.length;
        FloatVector bias = FloatVector.broadcast(S, b), min = FloatVector.broadcast(S, lo);
        FloatVector max = FloatVector.broadcast(S, hi);
        for (int oy = 0; oy < g.oh(); oy++) {
            int base = oy * step, outRow = outBase + oy * ow;
            for (int j = 0; j < ow; j += L) {
                FloatVector acc = bias;
                for (int t = 0; t < taps; t++) {
                    FloatVector x = FloatVector.fromArray(S, p, base + j + tapOffset[t]);
                    acc = x.fma(FloatVector.broadcast(S, w[wBase + t]), acc);
                }
                store(acc.max(min).min(max), out, outRow, j, ow);
            }
            if (activateAfter) ActivationLoops.apply(act, out, outRow, outRow + ow);
        }
    }

    private static void store(FloatVector v, float[] out, int outRow, int j, int ow) {
        if (j + L <= ow) {
            v.intoArray(out, outRow + j);
        } else {
            v.intoArray(out, outRow + j, S.indexInRange(j, ow));
        }
    }

    /** {parity, parity + 2, ...}: indices into the 2L lanes of two vectors. */
    private static float[] lanes(int parity) {
        float[] idx = new float[L];
        for (int i = 0; i < L; i++) idx[i] = 2 * i + parity;
        return idx;
    }
}
