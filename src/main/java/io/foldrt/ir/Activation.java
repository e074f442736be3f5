package io.foldrt.ir;

/**
 * An element-wise activation fused into the step before it (Conv or Gemm). The planner sets it when a
 * Relu or Clip follows a conv/linear whose output has no other consumer, so a backend can run
 * conv+bias+activation as one call.
 */
public record Activation(Kind kind, float min, float max) {
    public enum Kind { NONE, RELU, CLIP }

    public static final Activation NONE = new Activation(Kind.NONE, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    public static final Activation RELU = new Activation(Kind.RELU, 0f, Float.POSITIVE_INFINITY);

    public static Activation clip(float min, float max) {
        return new Activation(Kind.CLIP, min, max);
    }

    /** True for Clip(0, 6), which cuDNN calls CLIPPED_RELU with ceiling 6. */
    public boolean isRelu6() {
        return kind == Kind.CLIP && min == 0f && max == 6f;
    }

    public float apply(float x) {
        return switch (kind) {
            case NONE -> x;
            case RELU -> x < 0f ? 0f : x;                  // written so that NaN propagates
            case CLIP -> x < min ? min : (x > max ? max : x); // NaN propagates
        };
    }

    @Override
    public String toString() {
        return switch (kind) {
            case NONE -> "none";
            case RELU -> "relu";
            case CLIP -> isRelu6() ? "relu6" : "clip(" + min + "," + max + ")";
        };
    }
}
