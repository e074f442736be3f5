package io.foldrt.ir;

import java.util.Arrays;

/** Small helpers on int[] shapes. A dimension of {@link #BATCH} is the symbolic batch size. */
public final class Shapes {
    /** Marks the symbolic batch dimension in a declared graph input or output shape. */
    public static final int BATCH = -1;

    private Shapes() {}

    public static long elementCount(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new ModelException("shape " + Arrays.toString(shape) + " has an unbound dimension");
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** Replaces every {@link #BATCH} entry with {@code batch}. */
    public static int[] bind(int[] declared, int batch) {
        int[] s = declared.clone();
        for (int i = 0; i < s.length; i++) if (s[i] == BATCH) s[i] = batch;
        return s;
    }

    /** numpy-style broadcast of two shapes, or null if they are incompatible. */
    public static int[] broadcast(int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i < r - a.length ? 1 : a[i - (r - a.length)];
            int db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) return null;
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    public static String str(int[] shape) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) sb.append(',');
            sb.append(shape[i] == BATCH ? "N" : String.valueOf(shape[i]));
        }
        return sb.append(']').toString();
    }
}
