package io.foldrt.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link MicroKernel} on the Vector API. For each block of three vectors of columns, the MR x 3 block of C
 * lives in registers (24 of AVX-512's 32) while the kernel walks the depth slice: per step three B loads and
 * MR broadcasts of A feed 3*MR FMAs, and C is loaded and stored once per slice instead of once per step.
 * Two- and one-vector blocks finish a row.
 *
 * <p>Index arithmetic is written as "base + k * constant" inside the loop, not as running pointers: C2
 * then hoists the bounds checks, and measured on Zen 5 the running-pointer form ran at a quarter of the
 * speed.
 */
final class VectorMicroKernel implements MicroKernel {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int MR = Sgemm.MR;

    static {
        // The block shapes below are written out for MR = 8, and NR must hold whole vectors.
        if (MR != 8 || Sgemm.NR % L != 0) throw new AssertionError("VectorMicroKernel expects MR = 8 and NR % lanes = 0");
    }

    /** Floats per vector of the preferred species. */
    static int lanes() {
        return L;
    }

    @Override
    public int columnsTouched(int nc) {
        return (nc + L - 1) / L * L;
    }

    @Override
    public boolean usesVectorApi() {
        return true;
    }

    @Override
    public int columnBlock() {
        return 3 * L; // KC rows x 3 vectors = 24 KiB of B at 512 bits, half a 48 KiB L1
    }

    @Override
    public String describe() {
        return "vector " + S.vectorBitSize() + "-bit";
    }

    @Override
    public void multiply(float[] a, int ao, int kc, float[][] b, float[][] acc, int r, int from, int n) {
        int end = from + columnsTouched(n), j = from;
        for (; j + 3 * L <= end; j += 3 * L) threeVectors(a, ao, kc, b, acc, r, j);
        if (j + 2 * L <= end) twoVectors(a, ao, kc, b, acc, r, j);
        else if (j < end) oneVector(a, ao, kc, b, acc, r, j);
    }

    /**
     * {@code acc[r + i][from + j] += sum_k a[ao + k*MR + i] * b[bo + k*w + j]} for {@code i < MR, k < kc,
     * j < w}: one block of a {@link BlockedB}, whose {@code kc} rows of {@code w} floats (whole vectors, at
     * most three) are contiguous.
     */
    void multiplyBlocked(float[] a, int ao, int kc, float[] b, int bo, int w, float[][] acc, int r, int from) {
        if (w == 3 * L) {
            threeBlocked(a, ao, kc, b, bo, acc, r, from);
        } else {
            for (int v = 0; v < w; v += L) oneBlocked(a, ao, kc, b, bo + v, w, acc, r, from + v);
        }
    }

    /**
     * The main block: MR x 3 vectors of C in 24 registers. Per depth step three B loads and MR broadcasts feed
     * 24 FMAs; with two vectors (16 FMAs per step) the per-step cost of fetching the row b[k] and its bounds
     * checks showed: measured on Zen 5, 8 x 3 ran at about 220 GFLOP/s per core in L1, 8 x 2 at about 178.
     */
    private static void threeVectors(float[] a, int ao, int kc, float[][] b, float[][] acc, int r, int j) {
        float[] r0 = acc[r], r1 = acc[r + 1], r2 = acc[r + 2], r3 = acc[r + 3];
        float[] r4 = acc[r + 4], r5 = acc[r + 5], r6 = acc[r + 6], r7 = acc[r + 7];
        int h = j + L, q = j + 2 * L;
        FloatVector c00 = FloatVector.fromArray(S, r0, j), c01 = FloatVector.fromArray(S, r0, h), c02 = FloatVector.fromArray(S, r0, q);
        FloatVector c10 = FloatVector.fromArray(S, r1, j), c11 = FloatVector.fromArray(S, r1, h), c12 = FloatVector.fromArray(S, r1, q);
        FloatVector c20 = FloatVector.fromArray(S, r2, j), c21 = FloatVector.fromArray(S, r2, h), c22 = FloatVector.fromArray(S, r2, q);
        FloatVector c30 = FloatVector.fromArray(S, r3, j), c31 = FloatVector.fromArray(S, r3, h), c32 = FloatVector.fromArray(S, r3, q);
        FloatVector c40 = FloatVector.fromArray(S, r4, j), c41 = FloatVector.fromArray(S, r4, h), c42 = FloatVector.fromArray(S, r4, q);
        FloatVector c50 = FloatVector.fromArray(S, r5, j), c51 = FloatVector.fromArray(S, r5, h), c52 = FloatVector.fromArray(S, r5, q);
        FloatVector c60 = FloatVector.fromArray(S, r6, j), c61 = FloatVector.fromArray(S, r6, h), c62 = FloatVector.fromArray(S, r6, q);
        FloatVector c70 = FloatVector.fromArray(S, r7, j), c71 = FloatVector.fromArray(S, r7, h), c72 = FloatVector.fromArray(S, r7, q);
        for (int k = 0; k < kc; k++) {
            float[] bk = b[k];
            int ak = ao + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, bk, j), b1 = FloatVector.fromArray(S, bk, h);
            FloatVector b2 = FloatVector.fromArray(S, bk, q);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, a[ak + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, a[ak + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            c72 = x.fma(b2, c72);
        }
        c00.intoArray(r0, j);
        c01.intoArray(r0, h);
        c02.intoArray(r0, q);
        c10.intoArray(r1, j);
        c11.intoArray(r1, h);
        c12.intoArray(r1, q);
        c20.intoArray(r2, j);
        c21.intoArray(r2, h);
        c22.intoArray(r2, q);
        c30.intoArray(r3, j);
        c31.intoArray(r3, h);
        c32.intoArray(r3, q);
        c40.intoArray(r4, j);
        c41.intoArray(r4, h);
        c42.intoArray(r4, q);
        c50.intoArray(r5, j);
        c51.intoArray(r5, h);
        c52.intoArray(r5, q);
        c60.intoArray(r6, j);
        c61.intoArray(r6, h);
        c62.intoArray(r6, q);
        c70.intoArray(r7, j);
        c71.intoArray(r7, h);
        c72.intoArray(r7, q);
    }

    /**
     * {@link #threeVectors} for a tile's last depth slice, with {@link Epilogue.RowBias} applied in registers:
     * {@code out[o + i*ldc + j + x] = act(c + bias[row0 + i] + res[same index])} for the MR rows and 3 vectors
     * of columns from j, where C starts from the accumulator rows, or from zero when {@code fresh} (the slice
     * is the tile's only one and the rows were never written). {@code bias} and {@code res} may be null; the
     * activation is the clamp [lo, hi] (infinite bounds clamp nothing). Every row must be a real output row.
     * Where the tile's depth is small (MobileNet's 1x1 convs: 16 to 160 input channels), zeroing the
     * accumulator rows, then a pass over them and a copy out cost about as much as the multiply-adds. Measured
     * on Zen 5 against that: MobileNetV2's 1x1 conv from 16 to 96 channels on 112x112 0.74 to 0.50 ms (one
     * thread), the whole model 4.06 to 3.92 ms (two threads, medians); ResNet-18, deep tiles, unchanged.
     */
    static void threeFinish(float[] a, int ao, int kc, float[][] b, float[][] acc, int r, int j, boolean fresh,
                            float[] out, float[] res, int o, int ldc, float[] bias, int row0, float lo, float hi) {
        float[] r0 = acc[r], r1 = acc[r + 1], r2 = acc[r + 2], r3 = acc[r + 3];
        float[] r4 = acc[r + 4], r5 = acc[r + 5], r6 = acc[r + 6], r7 = acc[r + 7];
        int h = j + L, q = j + 2 * L;
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = fresh ? zero : FloatVector.fromArray(S, r0, j), c01 = fresh ? zero : FloatVector.fromArray(S, r0, h);
        FloatVector c02 = fresh ? zero : FloatVector.fromArray(S, r0, q);
        FloatVector c10 = fresh ? zero : FloatVector.fromArray(S, r1, j), c11 = fresh ? zero : FloatVector.fromArray(S, r1, h);
        FloatVector c12 = fresh ? zero : FloatVector.fromArray(S, r1, q);
        FloatVector c20 = fresh ? zero : FloatVector.fromArray(S, r2, j), c21 = fresh ? zero : FloatVector.fromArray(S, r2, h);
        FloatVector c22 = fresh ? zero : FloatVector.fromArray(S, r2, q);
        FloatVector c30 = fresh ? zero : FloatVector.fromArray(S, r3, j), c31 = fresh ? zero : FloatVector.fromArray(S, r3, h);
        FloatVector c32 = fresh ? zero : FloatVector.fromArray(S, r3, q);
        FloatVector c40 = fresh ? zero : FloatVector.fromArray(S, r4, j), c41 = fresh ? zero : FloatVector.fromArray(S, r4, h);
        FloatVector c42 = fresh ? zero : FloatVector.fromArray(S, r4, q);
        FloatVector c50 = fresh ? zero : FloatVector.fromArray(S, r5, j), c51 = fresh ? zero : FloatVector.fromArray(S, r5, h);
        FloatVector c52 = fresh ? zero : FloatVector.fromArray(S, r5, q);
        FloatVector c60 = fresh ? zero : FloatVector.fromArray(S, r6, j), c61 = fresh ? zero : FloatVector.fromArray(S, r6, h);
        FloatVector c62 = fresh ? zero : FloatVector.fromArray(S, r6, q);
        FloatVector c70 = fresh ? zero : FloatVector.fromArray(S, r7, j), c71 = fresh ? zero : FloatVector.fromArray(S, r7, h);
        FloatVector c72 = fresh ? zero : FloatVector.fromArray(S, r7, q);
        for (int k = 0; k < kc; k++) {
            float[] bk = b[k];
            int ak = ao + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, bk, j), b1 = FloatVector.fromArray(S, bk, h);
            FloatVector b2 = FloatVector.fromArray(S, bk, q);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, a[ak + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, a[ak + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            c72 = x.fma(b2, c72);
        }
        // bias, residual, activation; each vector's only store
        FloatVector v0 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 0]);
        FloatVector v1 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 1]);
        FloatVector v2 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 2]);
        FloatVector v3 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 3]);
        FloatVector v4 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 4]);
        FloatVector v5 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 5]);
        FloatVector v6 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 6]);
        FloatVector v7 = FloatVector.broadcast(S, bias == null ? 0f : bias[row0 + 7]);
        c00 = c00.add(v0);
        c01 = c01.add(v0);
        c02 = c02.add(v0);
        c10 = c10.add(v1);
        c11 = c11.add(v1);
        c12 = c12.add(v1);
        c20 = c20.add(v2);
        c21 = c21.add(v2);
        c22 = c22.add(v2);
        c30 = c30.add(v3);
        c31 = c31.add(v3);
        c32 = c32.add(v3);
        c40 = c40.add(v4);
        c41 = c41.add(v4);
        c42 = c42.add(v4);
        c50 = c50.add(v5);
        c51 = c51.add(v5);
        c52 = c52.add(v5);
        c60 = c60.add(v6);
        c61 = c61.add(v6);
        c62 = c62.add(v6);
        c70 = c70.add(v7);
        c71 = c71.add(v7);
        c72 = c72.add(v7);
        int o0 = o + j, o1 = o0 + ldc, o2 = o1 + ldc, o3 = o2 + ldc, o4 = o3 + ldc, o5 = o4 + ldc, o6 = o5 + ldc;
        int o7 = o6 + ldc;
        if (res != null) {
            c00 = c00.add(FloatVector.fromArray(S, res, o0));
            c01 = c01.add(FloatVector.fromArray(S, res, o0 + L));
            c02 = c02.add(FloatVector.fromArray(S, res, o0 + 2 * L));
            c10 = c10.add(FloatVector.fromArray(S, res, o1));
            c11 = c11.add(FloatVector.fromArray(S, res, o1 + L));
            c12 = c12.add(FloatVector.fromArray(S, res, o1 + 2 * L));
            c20 = c20.add(FloatVector.fromArray(S, res, o2));
            c21 = c21.add(FloatVector.fromArray(S, res, o2 + L));
            c22 = c22.add(FloatVector.fromArray(S, res, o2 + 2 * L));
            c30 = c30.add(FloatVector.fromArray(S, res, o3));
            c31 = c31.add(FloatVector.fromArray(S, res, o3 + L));
            c32 = c32.add(FloatVector.fromArray(S, res, o3 + 2 * L));
            c40 = c40.add(FloatVector.fromArray(S, res, o4));
            c41 = c41.add(FloatVector.fromArray(S, res, o4 + L));
            c42 = c42.add(FloatVector.fromArray(S, res, o4 + 2 * L));
            c50 = c50.add(FloatVector.fromArray(S, res, o5));
            c51 = c51.add(FloatVector.fromArray(S, res, o5 + L));
            c52 = c52.add(FloatVector.fromArray(S, res, o5 + 2 * L));
            c60 = c60.add(FloatVector.fromArray(S, res, o6));
            c61 = c61.add(FloatVector.fromArray(S, res, o6 + L));
            c62 = c62.add(FloatVector.fromArray(S, res, o6 + 2 * L));
            c70 = c70.add(FloatVector.fromArray(S, res, o7));
            c71 = c71.add(FloatVector.fromArray(S, res, o7 + L));
            c72 = c72.add(FloatVector.fromArray(S, res, o7 + 2 * L));
        }
        if (lo != Float.NEGATIVE_INFINITY) {
            FloatVector m = FloatVector.broadcast(S, lo);
            c00 = c00.blend(m, c00.lt(m));
            c01 = c01.blend(m, c01.lt(m));
            c02 = c02.blend(m, c02.lt(m));
            c10 = c10.blend(m, c10.lt(m));
            c11 = c11.blend(m, c11.lt(m));
            c12 = c12.blend(m, c12.lt(m));
            c20 = c20.blend(m, c20.lt(m));
            c21 = c21.blend(m, c21.lt(m));
            c22 = c22.blend(m, c22.lt(m));
            c30 = c30.blend(m, c30.lt(m));
            c31 = c31.blend(m, c31.lt(m));
            c32 = c32.blend(m, c32.lt(m));
            c40 = c40.blend(m, c40.lt(m));
            c41 = c41.blend(m, c41.lt(m));
            c42 = c42.blend(m, c42.lt(m));
            c50 = c50.blend(m, c50.lt(m));
            c51 = c51.blend(m, c51.lt(m));
            c52 = c52.blend(m, c52.lt(m));
            c60 = c60.blend(m, c60.lt(m));
            c61 = c61.blend(m, c61.lt(m));
            c62 = c62.blend(m, c62.lt(m));
            c70 = c70.blend(m, c70.lt(m));
            c71 = c71.blend(m, c71.lt(m));
            c72 = c72.blend(m, c72.lt(m));
        }
        if (hi != Float.POSITIVE_INFINITY) {
            FloatVector m = FloatVector.broadcast(S, hi);
            c00 = c00.blend(m, c00.compare(VectorOperators.GT, m));
            c01 = c01.blend(m, c01.compare(VectorOperators.GT, m));
            c02 = c02.blend(m, c02.compare(VectorOperators.GT, m));
            c10 = c10.blend(m, c10.compare(VectorOperators.GT, m));
            c11 = c11.blend(m, c11.compare(VectorOperators.GT, m));
            c12 = c12.blend(m, c12.compare(VectorOperators.GT, m));
            c20 = c20.blend(m, c20.compare(VectorOperators.GT, m));
            c21 = c21.blend(m, c21.compare(VectorOperators.GT, m));
            c22 = c22.blend(m, c22.compare(VectorOperators.GT, m));
            c30 = c30.blend(m, c30.compare(VectorOperators.GT, m));
            c31 = c31.blend(m, c31.compare(VectorOperators.GT, m));
            c32 = c32.blend(m, c32.compare(VectorOperators.GT, m));
            c40 = c40.blend(m, c40.compare(VectorOperators.GT, m));
            c41 = c41.blend(m, c41.compare(VectorOperators.GT, m));
            c42 = c42.blend(m, c42.compare(VectorOperators.GT, m));
            c50 = c50.blend(m, c50.compare(VectorOperators.GT, m));
            c51 = c51.blend(m, c51.compare(VectorOperators.GT, m));
            c52 = c52.blend(m, c52.compare(VectorOperators.GT, m));
            c60 = c60.blend(m, c60.compare(VectorOperators.GT, m));
            c61 = c61.blend(m, c61.compare(VectorOperators.GT, m));
            c62 = c62.blend(m, c62.compare(VectorOperators.GT, m));
            c70 = c70.blend(m, c70.compare(VectorOperators.GT, m));
            c71 = c71.blend(m, c71.compare(VectorOperators.GT, m));
            c72 = c72.blend(m, c72.compare(VectorOperators.GT, m));
        }
        c00.intoArray(out, o0);
        c01.intoArray(out, o0 + L);
        c02.intoArray(out, o0 + 2 * L);
        c10.intoArray(out, o1);
        c11.intoArray(out, o1 + L);
        c12.intoArray(out, o1 + 2 * L);
        c20.intoArray(out, o2);
        c21.intoArray(out, o2 + L);
        c22.intoArray(out, o2 + 2 * L);
        c30.intoArray(out, o3);
        c31.intoArray(out, o3 + L);
        c32.intoArray(out, o3 + 2 * L);
        c40.intoArray(out, o4);
        c41.intoArray(out, o4 + L);
        c42.intoArray(out, o4 + 2 * L);
        c50.intoArray(out, o5);
        c51.intoArray(out, o5 + L);
        c52.intoArray(out, o5 + 2 * L);
        c60.intoArray(out, o6);
        c61.intoArray(out, o6 + L);
        c62.intoArray(out, o6 + 2 * L);
        c70.intoArray(out, o7);
        c71.intoArray(out, o7 + L);
        c72.intoArray(out, o7 + 2 * L);
    }

    /** {@link #threeVectors} with B rows of 3 vectors stored one after another from {@code bo}. */
    private static void threeBlocked(float[] a, int ao, int kc, float[] b, int bo, float[][] acc, int r, int j) {
        float[] r0 = acc[r], r1 = acc[r + 1], r2 = acc[r + 2], r3 = acc[r + 3];
        float[] r4 = acc[r + 4], r5 = acc[r + 5], r6 = acc[r + 6], r7 = acc[r + 7];
        int h = j + L, q = j + 2 * L;
        FloatVector c00 = FloatVector.fromArray(S, r0, j), c01 = FloatVector.fromArray(S, r0, h), c02 = FloatVector.fromArray(S, r0, q);
        FloatVector c10 = FloatVector.fromArray(S, r1, j), c11 = FloatVector.fromArray(S, r1, h), c12 = FloatVector.fromArray(S, r1, q);
        FloatVector c20 = FloatVector.fromArray(S, r2, j), c21 = FloatVector.fromArray(S, r2, h), c22 = FloatVector.fromArray(S, r2, q);
        FloatVector c30 = FloatVector.fromArray(S, r3, j), c31 = FloatVector.fromArray(S, r3, h), c32 = FloatVector.fromArray(S, r3, q);
        FloatVector c40 = FloatVector.fromArray(S, r4, j), c41 = FloatVector.fromArray(S, r4, h), c42 = FloatVector.fromArray(S, r4, q);
        FloatVector c50 = FloatVector.fromArray(S, r5, j), c51 = FloatVector.fromArray(S, r5, h), c52 = FloatVector.fromArray(S, r5, q);
        FloatVector c60 = FloatVector.fromArray(S, r6, j), c61 = FloatVector.fromArray(S, r6, h), c62 = FloatVector.fromArray(S, r6, q);
        FloatVector c70 = FloatVector.fromArray(S, r7, j), c71 = FloatVector.fromArray(S, r7, h), c72 = FloatVector.fromArray(S, r7, q);
        for (int k = 0; k < kc; k++) {
            int bk = bo + k * 3 * L, ak = ao + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk), b1 = FloatVector.fromArray(S, b, bk + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bk + 2 * L);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            c42 = x.fma(b2, c42);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            c52 = x.fma(b2, c52);
            x = FloatVector.broadcast(S, a[ak + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            c62 = x.fma(b2, c62);
            x = FloatVector.broadcast(S, a[ak + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
            c72 = x.fma(b2, c72);
        }
        c00.intoArray(r0, j);
        c01.intoArray(r0, h);
        c02.intoArray(r0, q);
        c10.intoArray(r1, j);
        c11.intoArray(r1, h);
        c12.intoArray(r1, q);
        c20.intoArray(r2, j);
        c21.intoArray(r2, h);
        c22.intoArray(r2, q);
        c30.intoArray(r3, j);
        c31.intoArray(r3, h);
        c32.intoArray(r3, q);
        c40.intoArray(r4, j);
        c41.intoArray(r4, h);
        c42.intoArray(r4, q);
        c50.intoArray(r5, j);
        c51.intoArray(r5, h);
        c52.intoArray(r5, q);
        c60.intoArray(r6, j);
        c61.intoArray(r6, h);
        c62.intoArray(r6, q);
        c70.intoArray(r7, j);
        c71.intoArray(r7, h);
        c72.intoArray(r7, q);
    }

    private static void twoVectors(float[] a, int ao, int kc, float[][] b, float[][] acc, int r, int j) {
        float[] r0 = acc[r], r1 = acc[r + 1], r2 = acc[r + 2], r3 = acc[r + 3];
        float[] r4 = acc[r + 4], r5 = acc[r + 5], r6 = acc[r + 6], r7 = acc[r + 7];
        int h = j + L;
        FloatVector c00 = FloatVector.fromArray(S, r0, j), c01 = FloatVector.fromArray(S, r0, h);
        FloatVector c10 = FloatVector.fromArray(S, r1, j), c11 = FloatVector.fromArray(S, r1, h);
        FloatVector c20 = FloatVector.fromArray(S, r2, j), c21 = FloatVector.fromArray(S, r2, h);
        FloatVector c30 = FloatVector.fromArray(S, r3, j), c31 = FloatVector.fromArray(S, r3, h);
        FloatVector c40 = FloatVector.fromArray(S, r4, j), c41 = FloatVector.fromArray(S, r4, h);
        FloatVector c50 = FloatVector.fromArray(S, r5, j), c51 = FloatVector.fromArray(S, r5, h);
        FloatVector c60 = FloatVector.fromArray(S, r6, j), c61 = FloatVector.fromArray(S, r6, h);
        FloatVector c70 = FloatVector.fromArray(S, r7, j), c71 = FloatVector.fromArray(S, r7, h);
        for (int k = 0; k < kc; k++) {
            float[] bk = b[k];
            int ak = ao + k * MR;
            FloatVector b0 = FloatVector.fromArray(S, bk, j), b1 = FloatVector.fromArray(S, bk, h);
            FloatVector x = FloatVector.broadcast(S, a[ak]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ak + 1]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ak + 2]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ak + 3]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            x = FloatVector.broadcast(S, a[ak + 4]);
            c40 = x.fma(b0, c40);
            c41 = x.fma(b1, c41);
            x = FloatVector.broadcast(S, a[ak + 5]);
            c50 = x.fma(b0, c50);
            c51 = x.fma(b1, c51);
            x = FloatVector.broadcast(S, a[ak + 6]);
            c60 = x.fma(b0, c60);
            c61 = x.fma(b1, c61);
            x = FloatVector.broadcast(S, a[ak + 7]);
            c70 = x.fma(b0, c70);
            c71 = x.fma(b1, c71);
        }
        c00.intoArray(r0, j);
        c01.intoArray(r0, h);
        c10.intoArray(r1, j);
        c11.intoArray(r1, h);
        c20.intoArray(r2, j);
        c21.intoArray(r2, h);
        c30.intoArray(r3, j);
        c31.intoArray(r3, h);
        c40.intoArray(r4, j);
        c41.intoArray(r4, h);
        c50.intoArray(r5, j);
        c51.intoArray(r5, h);
        c60.intoArray(r6, j);
        c61.intoArray(r6, h);
        c70.intoArray(r7, j);
        c71.intoArray(r7, h);
    }

    /** The last, single vector of columns. */
    private static void oneVector(float[] a, int ao, int kc, float[][] b, float[][] acc, int r, int j) {
        float[] r0 = acc[r], r1 = acc[r + 1], r2 = acc[r + 2], r3 = acc[r + 3];
        float[] r4 = acc[r + 4], r5 = acc[r + 5], r6 = acc[r + 6], r7 = acc[r + 7];
        FloatVector c0 = FloatVector.fromArray(S, r0, j), c1 = FloatVector.fromArray(S, r1, j);
        FloatVector c2 = FloatVector.fromArray(S, r2, j), c3 = FloatVector.fromArray(S, r3, j);
        FloatVector c4 = FloatVector.fromArray(S, r4, j), c5 = FloatVector.fromArray(S, r5, j);
        FloatVector c6 = FloatVector.fromArray(S, r6, j), c7 = FloatVector.fromArray(S, r7, j);
        for (int k = 0; k < kc; k++) {
            FloatVector bv = FloatVector.fromArray(S, b[k], j);
            int ak = ao + k * MR;
            c0 = FloatVector.broadcast(S, a[ak]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ak + 1]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ak + 2]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ak + 3]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[ak + 4]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[ak + 5]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[ak + 6]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[ak + 7]).fma(bv, c7);
        }
        c0.intoArray(r0, j);
        c1.intoArray(r1, j);
        c2.intoArray(r2, j);
        c3.intoArray(r3, j);
        c4.intoArray(r4, j);
        c5.intoArray(r5, j);
        c6.intoArray(r6, j);
        c7.intoArray(r7, j);
    }

    /** {@link #oneVector} with B rows of {@code ldb} floats from {@code bo}. */
    private static void oneBlocked(float[] a, int ao, int kc, float[] b, int bo, int ldb, float[][] acc, int r, int j) {
        float[] r0 = acc[r], r1 = acc[r + 1], r2 = acc[r + 2], r3 = acc[r + 3];
        float[] r4 = acc[r + 4], r5 = acc[r + 5], r6 = acc[r + 6], r7 = acc[r + 7];
        FloatVector c0 = FloatVector.fromArray(S, r0, j), c1 = FloatVector.fromArray(S, r1, j);
        FloatVector c2 = FloatVector.fromArray(S, r2, j), c3 = FloatVector.fromArray(S, r3, j);
        FloatVector c4 = FloatVector.fromArray(S, r4, j), c5 = FloatVector.fromArray(S, r5, j);
        FloatVector c6 = FloatVector.fromArray(S, r6, j), c7 = FloatVector.fromArray(S, r7, j);
        for (int k = 0; k < kc; k++) {
            FloatVector bv = FloatVector.fromArray(S, b, bo + k * ldb);
            int ak = ao + k * MR;
            c0 = FloatVector.broadcast(S, a[ak]).fma(bv, c0);
            c1 = FloatVector.broadcast(S, a[ak + 1]).fma(bv, c1);
            c2 = FloatVector.broadcast(S, a[ak + 2]).fma(bv, c2);
            c3 = FloatVector.broadcast(S, a[ak + 3]).fma(bv, c3);
            c4 = FloatVector.broadcast(S, a[ak + 4]).fma(bv, c4);
            c5 = FloatVector.broadcast(S, a[ak + 5]).fma(bv, c5);
            c6 = FloatVector.broadcast(S, a[ak + 6]).fma(bv, c6);
            c7 = FloatVector.broadcast(S, a[ak + 7]).fma(bv, c7);
        }
        c0.intoArray(r0, j);
        c1.intoArray(r1, j);
        c2.intoArray(r2, j);
        c3.intoArray(r3, j);
        c4.intoArray(r4, j);
        c5.intoArray(r5, j);
        c6.intoArray(r6, j);
        c7.intoArray(r7, j);
    }
}
