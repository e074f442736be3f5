package io.foldrt.backend.cpu;

/**
 * numpy broadcasting as strides: an operand of shape {@code s} seen through output shape {@code out}
 * (right-aligned, size-1 dims repeated) has stride 0 on every broadcast dim.
 */
final class Broadcast {
    private Broadcast() {}

    /** Element strides of {@code s} over the dims of {@code out}; 0 where the operand is broadcast. */
    static int[] strides(int[] s, int[] out) {
        int[] st = new int[out.length];
        int step = 1;
        for (int d = out.length - 1, sd = s.length - 1; d >= 0; d--, sd--) {
            if (sd < 0) continue; // leading dim the operand does not have
            st[d] = s[sd] == 1 && out[d] != 1 ? 0 : step;
            step *= s[sd];
        }
        return st;
    }

    /** A fresh copy of {@code src} (shape {@code s}) expanded to shape {@code out}. */
    static float[] expand(float[] src, int[] s, int[] out) {
        float[] dst = new float[Math.toIntExact(io.foldrt.ir.Shapes.elementCount(out))];
        accumulate(dst, out, src, s, 1f);
        return dst;
    }

    /** dst (shape {@code out}) += scale * src (shape {@code s}, broadcast to {@code out}). */
    static void accumulate(float[] dst, int[] out, float[] src, int[] s, float scale) {
        int[] st = strides(s, out);
        int[] coord = new int[out.length];
        int off = 0;
        for (int i = 0; i < dst.length; i++) {
            dst[i] += scale * src[off];
            for (int d = out.length - 1; d >= 0; d--) { // odometer step, keeping off in sync
                off += st[d];
                if (++coord[d] < out[d]) break;
                off -= st[d] * out[d];
                coord[d] = 0;
            }
        }
    }

    /** For every element of shape {@code out} (row-major), its offset in an operand of shape {@code s}. */
    static int[] offsets(int[] s, int[] out) {
        int[] st = strides(s, out);
        int[] idx = new int[Math.toIntExact(io.foldrt.ir.Shapes.elementCount(out))];
        int[] coord = new int[out.length];
        int off = 0;
        for (int i = 0; i < idx.length; i++) {
            idx[i] = off;
            for (int d = out.length - 1; d >= 0; d--) {
                off += st[d];
                if (++coord[d] < out[d]) break;
                off -= st[d] * out[d];
                coord[d] = 0;
            }
        }
        return idx;
    }
}
