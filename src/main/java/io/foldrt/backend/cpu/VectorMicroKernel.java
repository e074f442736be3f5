package io.foldrt.backend.cpu;

import jdk.incubator.vector.FloatVector;
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
     * {@code acc[r + i][from + j] += sum_k a[ao + k*MR + i] * b[bo + k*ldb + j]} for {@code i < MR, k < kc,
     * j < w}: {@code kc} rows of {@code w} floats (whole vectors, at most three), {@code ldb} apart. One block
     * of a {@link BlockedB} ({@code ldb = w}: contiguous), or a block of a run-time matrix read in place.
     */
    void multiplyBlocked(float[] a, int ao, int kc, float[] b, int bo, int ldb, int w, float[][] acc, int r,
                         int from) {
        if (w == 3 * L) {
            threeBlocked(a, ao, kc, b, bo, ldb, acc, r, from);
        } else {
            for (int v = 0; v < w; v += L) oneBlocked(a, ao, kc, b, bo + v, ldb, acc, r, from + v);
        }
    }

    /** Below this many real rows a panel runs {@link #multiplyBlockedRows}. */
    static final int FEW_ROWS = 3;

    /**
     * {@link #multiplyBlocked} for the first {@code rows} rows of the A panel only, each on its own, where
     * fewer than {@link #FEW_ROWS} of its MR rows are real (the panel is zero-padded past the operand's
     * end): a 7x7 map's 49 pixels leave one row in their last panel, for which the full block would do
     * eight rows' FMAs. B, which is read once per row here, is in L1.
     */
    void multiplyBlockedRows(float[] a, int ao, int kc, float[] b, int bo, int ldb, int w, float[][] acc, int r,
                             int from, int rows) {
        for (int i = 0; i < rows; i++) {
            float[] c = acc[r + i];
            int v = 0;
            for (; v + 3 * L <= w; v += 3 * L) threeOneRow(a, ao + i, kc, b, bo + v, ldb, c, from + v);
            for (; v < w; v += L) oneOneRow(a, ao + i, kc, b, bo + v, ldb, c, from + v);
        }
    }

    /** One row of C, 3 vectors: {@code c[j ..] += sum_k a[ao + k*MR] * b[bo + k*ldb ..]}. */
    private static void threeOneRow(float[] a, int ao, int kc, float[] b, int bo, int ldb, float[] c, int j) {
        FloatVector c0 = FloatVector.fromArray(S, c, j), c1 = FloatVector.fromArray(S, c, j + L);
        FloatVector c2 = FloatVector.fromArray(S, c, j + 2 * L);
        for (int k = 0; k < kc; k++) {
            int bk = bo + k * ldb;
            FloatVector x = FloatVector.broadcast(S, a[ao + k * MR]);
            c0 = x.fma(FloatVector.fromArray(S, b, bk), c0);
            c1 = x.fma(FloatVector.fromArray(S, b, bk + L), c1);
            c2 = x.fma(FloatVector.fromArray(S, b, bk + 2 * L), c2);
        }
        c0.intoArray(c, j);
        c1.intoArray(c, j + L);
        c2.intoArray(c, j + 2 * L);
    }

    /** One row of C, one vector. */
    private static void oneOneRow(float[] a, int ao, int kc, float[] b, int bo, int ldb, float[] c, int j) {
        FloatVector c0 = FloatVector.fromArray(S, c, j);
        for (int k = 0; k < kc; k++) {
            c0 = FloatVector.broadcast(S, a[ao + k * MR]).fma(FloatVector.fromArray(S, b, bo + k * ldb), c0);
        }
        c0.intoArray(c, j);
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

    /** {@link #threeVectors} with B rows of 3 vectors from {@code bo}, {@code ldb} apart. */
    private static void threeBlocked(float[] a, int ao, int kc, float[] b, int bo, int ldb, float[][] acc, int r,
                                     int j) {
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
            int bk = bo + k * ldb, ak = ao + k * MR;
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
