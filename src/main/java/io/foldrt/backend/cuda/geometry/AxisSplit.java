package io.foldrt.backend.cuda.geometry;

/**
 * A shape viewed as [outer, len, inner] around one axis: the view Softmax and Concat work in.
 */
public record AxisSplit(long outer, int len, long inner) {

    /** Around {@code axis} (negative counts from the end); with {@code coerce2d}, inner folds into len. */
    public static AxisSplit of(int[] shape, int axis, boolean coerce2d) {
        int a = axis < 0 ? axis + shape.length : axis;
        long outer = 1, len = 1, inner = 1;
        for (int i = 0; i < shape.length; i++) {
            if (i < a) outer *= shape[i];
            else if (i == a || coerce2d) len *= shape[i];
            else inner *= shape[i];
        }
        return new AxisSplit(outer, Math.toIntExact(len), inner);
    }
}
