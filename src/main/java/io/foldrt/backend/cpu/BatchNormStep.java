package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import java.util.Arrays;

/**
 * Inference BatchNorm kept as its own op, implemented with the same care as the folded path so that
 * folded-vs-separate comparisons measure folding and nothing else: per-channel {@code scale = gamma /
 * sqrt(var + eps)} and {@code shift = beta - mean * scale} are computed once at compile time (in float64),
 * each element is read and written exactly once as {@code fma(x, scale, shift)}, a following Relu/Clip that
 * nobody else reads is applied in the same pass, and planes are split across threads. Where the output only
 * feeds an Add (a residual connection), the other operand is added in the same pass too, as the folded conv
 * adds it in its epilogue.
 */
final class BatchNormStep implements Step {
    private final int x, y, residual; // residual: value id of the Add's other operand, or -1
    private final int[] params;        // scale, B, mean, var ids (read when not constant)
    private final double epsilon;
    private final float[] scale, shift; // precomputed; null when a parameter is a run-time value
    private final int channels, inner, planes;
    private final Activation act;
    private final int chunks;
    private final boolean vector; // the pass on VectorActivation, as the conv epilogues with the vector kernel

    BatchNormStep(int x, int y, int residual, int[] params, int[] xs, float[][] constParams, double epsilon,
                  Activation act, int threads, boolean vector) {
        this.vector = vector;
        this.x = x;
        this.y = y;
        this.residual = residual;
        this.params = params.clone();
        this.epsilon = epsilon;
        this.channels = xs[1];
        int in = 1;
        for (int i = 2; i < xs.length; i++) in *= xs[i];
        this.inner = in;
        this.planes = xs[0] * channels;
        this.act = act;
        boolean constant = constParams[0] != null && constParams[1] != null && constParams[2] != null
                && constParams[3] != null;
        float[][] st = constant ? scaleShift(constParams[0], constParams[1], constParams[2], constParams[3], epsilon,
                channels) : null;
        this.scale = constant ? st[0] : null;
        this.shift = constant ? st[1] : null;
        this.chunks = Chunks.count(planes, inner, threads);
    }

    static float[][] scaleShift(float[] gamma, float[] beta, float[] mean, float[] var, double eps, int c) {
        float[] s = new float[c], t = new float[c];
        for (int i = 0; i < c; i++) {
            double sc = gamma[i] / Math.sqrt(var[i] + eps);
            s[i] = (float) sc;
            t[i] = (float) (beta[i] - mean[i] * sc);
        }
        return new float[][] {s, t};
    }

    @Override
    public void run(Frame f) {
        float[] s = scale, t = shift;
        if (s == null) {
            float[][] st = scaleShift(f.get(params[0]), f.get(params[1]), f.get(params[2]), f.get(params[3]),
                    epsilon, channels);
            s = st[0];
            t = st[1];
        }
        float[] in = f.get(x), out = f.get(y), res = residual < 0 ? null : f.get(residual), sc = s, sh = t;
        f.pool().parallelFor(chunks, (c, worker) -> {
            for (int p = Chunks.start(c, chunks, planes), end = Chunks.start(c + 1, chunks, planes); p < end; p++) {
                int ch = p % channels;
                plane(in, res, out, p * inner, sc[ch], sh[ch]);
            }
        });
    }

    /** One pass per activation kind, so each loop body is branch-free and vectorizes. */
    private void plane(float[] in, float[] res, float[] out, int from, float s, float t) {
        int to = from + inner;
        if (vector) {
            VectorActivation.scaleShiftApply(act, in, res, out, from, to, s, t);
            return;
        }
        if (res != null) {
            ActivationLoops.scaleShiftAddApply(act, in, res, out, from, to, s, t);
            return;
        }
        switch (act.kind()) {
            case NONE -> {
                for (int i = from; i < to; i++) out[i] = Math.fma(in[i], s, t);
            }
            case RELU -> {
                for (int i = from; i < to; i++) out[i] = Math.max(Math.fma(in[i], s, t), 0f);
            }
            case CLIP -> {
                float lo = act.min(), hi = act.max();
                if (lo <= hi) {
                    for (int i = from; i < to; i++) out[i] = Math.min(Math.max(Math.fma(in[i], s, t), lo), hi);
                } else {
                    for (int i = from; i < to; i++) out[i] = act.apply(Math.fma(in[i], s, t));
                }
            }
        }
    }

    @Override
    public int[] reads() {
        int[] base = scale != null ? new int[] {x} : new int[] {x, params[0], params[1], params[2], params[3]};
        if (residual < 0) return base;
        int[] all = Arrays.copyOf(base, base.length + 1);
        all[base.length] = residual;
        return all;
    }

    @Override
    public int[] writes() {
        return new int[] {y};
    }
}
