package io.foldrt.ir;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A dense row-major float32 tensor in host memory. The data array is shared, not copied: treat a tensor
 * that has been handed to a graph or a session as read-only. Equality is by shape and exact contents.
 */
public final class Tensor {
    private final int[] shape;
    private final float[] data;

    public Tensor(int[] shape, float[] data) {
        this.shape = shape.clone();
        long n = Shapes.elementCount(this.shape);
        if (n != data.length) {
            throw new ModelException("tensor of shape " + Arrays.toString(shape) + " needs " + n
                    + " values, got " + data.length);
        }
        this.data = data;
    }

    public static Tensor zeros(int... shape) {
        return new Tensor(shape, new float[Math.toIntExact(Shapes.elementCount(shape))]);
    }

    public static Tensor of(int[] shape, float... data) {
        return new Tensor(shape, data);
    }

    public static Tensor scalar(float v) {
        return new Tensor(new int[0], new float[] {v});
    }

    /** Uniform random values in [lo, hi) from a seeded generator: reproducible and never all zeros. */
    public static Tensor random(SplittableRandom rng, float lo, float hi, int... shape) {
        float[] d = new float[Math.toIntExact(Shapes.elementCount(shape))];
        for (int i = 0; i < d.length; i++) d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        return new Tensor(shape, d);
    }

    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    public int size() {
        return data.length;
    }

    /** The backing array (not a copy). */
    public float[] data() {
        return data;
    }

    public Tensor reshape(int... newShape) {
        return new Tensor(newShape, data);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
