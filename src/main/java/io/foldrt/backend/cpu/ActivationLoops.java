package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Op;

/**
 * In-place activation over a range of one array. Math.max/min vectorize and propagate NaN like the
 * reference's comparisons; they differ from it only in the sign of a zero result, which compares equal.
 */
final class ActivationLoops {
    private ActivationLoops() {}

    /**
     * min <= max: a clamp (ReLU is [0, inf)); NONE also counts, its bounds are infinite. Only such an
     * activation may run as two blends (the vector passes) or as bounds after a transform (Winograd).
     */
    static boolean ordered(Activation a) {
        return a.kind() != Activation.Kind.CLIP || a.min() <= a.max();
    }

    static void apply(Activation a, float[] x, int from, int to) {
        switch (a.kind()) {
            case NONE -> { }
            case RELU -> {
                for (int i = from; i < to; i++) x[i] = Math.max(x[i], 0f);
            }
            case CLIP -> {
                float lo = a.min(), hi = a.max();
                if (lo <= hi) {
                    for (int i = from; i < to; i++) x[i] = Math.min(Math.max(x[i], lo), hi);
                } else {
                    for (int i = from; i < to; i++) x[i] = a.apply(x[i]); // min > max: the reference rule, exactly
                }
            }
        }
    }

    /** x[i] = a(x[i] + b) over [0, n): bias and activation in one pass over the row. */
    static void biasThenApply(Activation a, float[] x, int n, float b) {
        switch (a.kind()) {
            case NONE -> {
                if (b != 0f) for (int i = 0; i < n; i++) x[i] += b;
            }
            case RELU -> {
                for (int i = 0; i < n; i++) x[i] = Math.max(x[i] + b, 0f);
            }
            case CLIP -> {
                float lo = a.min(), hi = a.max();
                if (lo <= hi) {
                    for (int i = 0; i < n; i++) x[i] = Math.min(Math.max(x[i] + b, lo), hi);
                } else {
                    for (int i = 0; i < n; i++) x[i] = a.apply(x[i] + b);
                }
            }
        }
    }

    /** x[i] = a(x[i] + bias[i]) over [0, n). */
    static void biasThenApply(Activation a, float[] x, int n, float[] bias) {
        switch (a.kind()) {
            case NONE -> {
                for (int i = 0; i < n; i++) x[i] += bias[i];
            }
            case RELU -> {
                for (int i = 0; i < n; i++) x[i] = Math.max(x[i] + bias[i], 0f);
            }
            case CLIP -> {
                float lo = a.min(), hi = a.max();
                if (lo <= hi) {
                    for (int i = 0; i < n; i++) x[i] = Math.min(Math.max(x[i] + bias[i], lo), hi);
                } else {
                    for (int i = 0; i < n; i++) x[i] = a.apply(x[i] + bias[i]);
                }
            }
        }
    }

    /** x[i] = a((x[i] + b) + res[off + i]) over [0, n) ({@code res} may be null): a conv row. */
    static void biasThenApply(Activation a, float[] x, int n, float b, float[] res, int off) {
        if (res == null) {
            biasThenApply(a, x, n, b);
            return;
        }
        for (int i = 0; i < n; i++) x[i] = (x[i] + b) + res[off + i];
        apply(a, x, 0, n);
    }

    /** out[i] = a(fma(in[i], s, t) + res[i]) over [from, to) ({@code res} may be null): a separate BatchNorm. */
    static void scaleShiftAddApply(Activation a, float[] in, float[] res, float[] out, int from, int to, float s,
                                   float t) {
        if (res == null) {
            for (int i = from; i < to; i++) out[i] = Math.fma(in[i], s, t);
        } else {
            for (int i = from; i < to; i++) out[i] = Math.fma(in[i], s, t) + res[i];
        }
        apply(a, out, from, to);
    }

    /** out[i] = a(in[i]) over [from, to); in and out share offsets, so the loops vectorize. */
    static void map(Activation a, float[] in, float[] out, int from, int to) {
        switch (a.kind()) {
            case NONE -> System.arraycopy(in, from, out, from, to - from);
            case RELU -> {
                for (int i = from; i < to; i++) out[i] = Math.max(in[i], 0f);
            }
            case CLIP -> {
                float lo = a.min(), hi = a.max();
                if (lo <= hi) {
                    for (int i = from; i < to; i++) out[i] = Math.min(Math.max(in[i], lo), hi);
                } else {
                    for (int i = from; i < to; i++) out[i] = a.apply(in[i]);
                }
            }
        }
    }

    /** The activation a Relu or Clip node computes, or null for any other op. */
    static Activation of(Op op) {
        return switch (op) {
            case Op.Relu r -> Activation.RELU;
            case Op.Clip c -> Activation.clip(c.min(), c.max());
            default -> null;
        };
    }
}
