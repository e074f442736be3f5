package io.foldrt.backend.cuda.geometry;

import java.util.Arrays;

/**
 * Arguments of the binary_bcast kernel: the output shape as at most {@link #RANK} dims (padded with leading
 * 1s) and, for each operand, the element stride along each output dim - 0 where the operand is broadcast.
 * Adjacent dims along which both operands are laid out the same way are merged first, which both lifts the
 * rank limit for ordinary tensors and shortens the kernel's index arithmetic.
 */
public record BroadcastGeometry(int[] dims, long[] stridesA, long[] stridesB) {
    public static final int RANK = 6;

    /** For a op b with numpy broadcasting into {@code out}; null when the merged rank still exceeds 6. */
    public static BroadcastGeometry of(int[] a, int[] b, int[] out) {
        return merge(out, strides(a, out), strides(b, out));
    }

    /** For copying {@code src} broadcast into {@code out} (b unused, given a's strides). */
    public static BroadcastGeometry copy(int[] src, int[] out) {
        long[] s = strides(src, out);
        return merge(out, s, s);
    }

    /** Element strides of {@code operand} right-aligned against {@code out}, 0 on broadcast dims. */
    static long[] strides(int[] operand, int[] out) {
        long[] s = new long[out.length];
        long stride = 1;
        for (int i = out.length - 1; i >= 0; i--) {
            int j = i - (out.length - operand.length);
            int d = j >= 0 ? operand[j] : 1;
            s[i] = d == 1 && out[i] != 1 ? 0 : stride;
            stride *= d;
        }
        return s;
    }

    private static BroadcastGeometry merge(int[] out, long[] sa, long[] sb) {
        // Drop size-1 dims (they index nothing), then merge i into i+1 when both operands step contiguously.
        int[] d = new int[out.length];
        long[] a = new long[out.length], b = new long[out.length];
        int r = 0;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 1) continue;
            if (r > 0 && a[r - 1] == a(sa[i], out[i]) && b[r - 1] == a(sb[i], out[i])) {
                d[r - 1] *= out[i];
                a[r - 1] = sa[i];
                b[r - 1] = sb[i];
                continue;
            }
            d[r] = out[i];
            a[r] = sa[i];
            b[r] = sb[i];
            r++;
        }
        if (r > RANK) return null;
        int[] dims = new int[RANK];
        long[] as = new long[RANK], bs = new long[RANK];
        Arrays.fill(dims, 1);
        for (int i = 0; i < r; i++) {
            dims[RANK - r + i] = d[i];
            as[RANK - r + i] = a[i];
            bs[RANK - r + i] = b[i];
        }
        return new BroadcastGeometry(dims, as, bs);
    }

    /** The stride the previous dim must have for the two to merge: stride * size, or 0 if broadcast. */
    private static long a(long stride, int size) {
        return stride * size;
    }

    public long elements() {
        long n = 1;
        for (int d : dims) n *= d;
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BroadcastGeometry g && Arrays.equals(dims, g.dims) && Arrays.equals(stridesA, g.stridesA)
                && Arrays.equals(stridesB, g.stridesB);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims) * 31 + Arrays.hashCode(stridesA);
    }

    @Override
    public String toString() {
        return "Broadcast" + Arrays.toString(dims) + " a" + Arrays.toString(stridesA) + " b" + Arrays.toString(stridesB);
    }
}
