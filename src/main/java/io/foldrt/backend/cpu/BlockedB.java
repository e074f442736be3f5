package io.foldrt.backend.cpu;

/**
 * A constant B operand (depth x cols, the weights of a conv run with channel columns) packed for the vector
 * kernel's blocked entry ({@link VectorMicroKernel#multiplyBlocked}): cut into depth slices of {@link Sgemm#KC},
 * into the column ranges that tasks take, and each range into column blocks of the kernel's
 * {@code columnBlock()}; each block is stored as {@code kc} contiguous rows of its width rounded up to whole
 * vectors, in the order {@code [slice][block][k][width]}. So one kernel call reads one
 * contiguous run (24 KiB at 512 bits) that fills L1 without set conflicts, and a GEMM that walks all blocks of a
 * slice before the next reads the weights front to back as one stream.
 */
final class BlockedB {
    private final float[] data;
    private final int depth, block, lanes, paddedCols;
    private final int[] rangeEnd; // per vector of columns: the end of its range, rounded up to whole vectors

    /**
     * Element (k, j) of the operand is {@code src[srcOff + k*rowStride + j*colStride]}; {@code bounds} are the
     * column ranges' boundaries, from 0 to cols, each but the last a multiple of {@code lanes}.
     */
    BlockedB(float[] src, int srcOff, int rowStride, int colStride, int depth, int[] bounds, int block, int lanes) {
        if (block % lanes != 0) throw new IllegalArgumentException("column block must hold whole vectors");
        int cols = bounds[bounds.length - 1];
        this.depth = depth;
        this.block = block;
        this.lanes = lanes;
        this.paddedCols = (cols + lanes - 1) / lanes * lanes;
        rangeEnd = new int[paddedCols / lanes];
        for (int r = 0; r + 1 < bounds.length; r++) {
            if (bounds[r] % lanes != 0) throw new IllegalArgumentException("column ranges must start at whole vectors");
            int end = (bounds[r + 1] + lanes - 1) / lanes * lanes;
            for (int v = bounds[r] / lanes; v * lanes < bounds[r + 1]; v++) rangeEnd[v] = end;
        }
        data = new float[Math.multiplyExact(depth, paddedCols)];
        for (int k0 = 0; k0 < depth; k0 += Sgemm.KC) {
            int kc = Math.min(Sgemm.KC, depth - k0);
            for (int r = 0; r + 1 < bounds.length; r++) {
                for (int j0 = bounds[r]; j0 < bounds[r + 1]; j0 += block) {
                    int base = at(k0, j0), w = width(j0), n = Math.min(block, bounds[r + 1] - j0);
                    for (int k = 0; k < kc; k++) {
                        for (int j = 0; j < n; j++) {
                            data[base + k * w + j] = src[srcOff + (k0 + k) * rowStride + (j0 + j) * colStride];
                        }
                    }
                }
            }
        }
    }

    float[] data() {
        return data;
    }

    /**
     * Start of the block of columns from {@code j0} in slice {@code k0}: every column before it is in a block of
     * whole vectors, so the packed columns before it are exactly {@code j0}.
     */
    int at(int k0, int j0) {
        return k0 * paddedCols + j0 * Math.min(Sgemm.KC, depth - k0);
    }

    /** Row length of the block that starts at column {@code j0}: the block width, or what is left of its range. */
    int width(int j0) {
        return Math.min(block, rangeEnd[j0 / lanes] - j0);
    }
}
