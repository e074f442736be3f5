package io.foldrt.backend.cpu;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Strided copies and zero-filled loads on the Vector API, for backends that run the vector kernels (this
 * class is loaded only then). A stride-2 read of 2L floats is two vector loads and one two-vector lane
 * permutation, where the scalar loop reads one float per step: im2col of a stride-2 convolution spent half
 * its time there.
 */
final class VectorCopies {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);

    private VectorCopies() {}

    /**
     * The lanes of {@code a[i ..]} that {@code m} selects, zero elsewhere: a plain load and a blend where the
     * vector lies inside the array, a masked load only at its ends. Masked loads that miss the cache stream
     * badly: on Zen 5 the Winograd phase fill of a 56x56x64 batch-8 input not in L3 (as after another Winograd
     * conv, whose working set pushes it out) took 1.0 ms with them and 0.40 ms this way (0.38 and 0.29 ms from
     * L3).
     */
    static FloatVector load(float[] a, int i, VectorMask<Float> m) {
        if (i >= 0 && i <= a.length - L) return FloatVector.zero(S).blend(FloatVector.fromArray(S, a, i), m);
        return FloatVector.fromArray(S, a, i, m);
    }

    /**
     * {@link ConvGeometry#gatherRow} for stride 2: dst[d0 + t] = row[ix0 + 2t] for t in [0, n), {@code fill}
     * where ix0 + 2t falls outside [0, width). It may also write up to a vector of garbage past
     * {@code dst[d0 + n - 1]}: callers write those elements after it, or do not read them.
     */
    static void gatherEven(float[] src, int rowBase, int width, int ix0, float[] dst, int d0, int n, float fill) {
        int lo = Math.min(n, ConvGeometry.firstTap(ix0, 2, 0));
        int hi = Math.max(lo, ConvGeometry.endTap(ix0, 2, width, n));
        Arrays.fill(dst, d0, d0 + lo, fill);
        int t = lo, s = rowBase + ix0 + 2 * lo;
        // Whole vectors of outputs. The loads may run one float past the row (the last odd lane, which the
        // permutation drops), so only the array bounds them.
        for (; t + L <= hi && s + 2 * L <= src.length; t += L, s += 2 * L) evenLanes(src, s, dst, d0 + t);
        // The rest as one whole vector: the one that ends at hi, rewriting some outputs with their own values
        // (a 28-wide output row is then two vectors, not one and 12 scalar steps); in a row narrower than a
        // vector (14 outputs) the one from t, whose lanes past hi land where the fill below or the caller's
        // next row writes after it, or past the caller's columns (see the contract).
        int from = hi - L >= lo ? hi - L : t, sf = rowBase + ix0 + 2 * from;
        if (t < hi && sf + 2 * L <= src.length && d0 + from + L <= dst.length) {
            evenLanes(src, sf, dst, d0 + from);
            t = hi;
        }
        for (; t < hi; t++, s += 2) dst[d0 + t] = src[s];
        Arrays.fill(dst, d0 + hi, d0 + n, fill);
    }

    /** dst[d + i] = src[s + 2i] for i in [0, L), from two vector loads (2L floats from s). */
    private static void evenLanes(float[] src, int s, float[] dst, int d) {
        FloatVector.fromArray(S, src, s).rearrange(EVEN, FloatVector.fromArray(S, src, s + L)).intoArray(dst, d);
    }
}
