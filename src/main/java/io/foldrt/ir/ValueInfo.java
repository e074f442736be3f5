package io.foldrt.ir;

import java.util.Arrays;

/** A named graph input or output with its declared shape; {@link Shapes#BATCH} marks the batch dim. */
public record ValueInfo(String name, int[] shape) {
    public ValueInfo {
        shape = shape.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ValueInfo v && name.equals(v.name) && Arrays.equals(shape, v.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + Shapes.str(shape);
    }
}
