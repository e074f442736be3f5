package io.foldrt.backend.cpu;

/**
 * A constant B operand (depth x cols, the weights of a conv run with channel columns) packed for the vector
 * kernel's blocked entry ({@link VectorMicroKernel#multiplyBlocked}): cut into depth slices of {@link Sgemm#KC}
 * and column blocks of the kernel's {@code columnBlock()}, each block stored as {@code kc} contiguous rows of its
 * width rounded up to whole vectors, in the order {@code [slice][block][k][width]}. So one kernel call reads one
 * contiguous run (24 KiB at 512 bits) that fills L1 without set conflicts, and a GEMM that walks all blocks of a
 * slice before the next reads the weights front to back as one stream.
 */
final class BlockedB {
    private final float[] data;
    private final int depth, cols, block, lanes, paddedCols;

    /** Element (k, j) of the operand is {@code src[srcOff + k*rowStride + j*colStride]}. */
    BlockedB(float[] src, int srcOff, int rowStride, int colStride, int depth, int cols, int block, int lanes) {
        if (block % lanes != 0) throw new IllegalArgumentException("column block must hold whole vectors");
        this.depth = depth;
        this.cols = cols;
        this.block = block;
        this.lanes = lanes;
        this.paddedCols = (cols + lanes - 1) / lanes * lanes;
        data = new float[Math.multiplyExact(depth, paddedCols)];
        for (int k0 = 0; k0 < depth; k0 += Sgemm.KC) {
            int kc = Math.min(Sgemm.KC, depth - k0);
            for (int j0 = 0; j0 < cols; j0 += block) {
                int base = at(k0, j0), w = width(j0), n = Math.min(block, cols - j0);
                for (int k = 0; k < kc; k++) {
                    for (int j = 0; j < n; j++) {
                        data[base + k * w + j] = src[srcOff + (k0 + k) * rowStride + (j0 + j) * colStride];
                    }
                }
            }
        }
    }

    float[] data() {
        return data;
    }

    int cols() {
        return cols;
    }

    /** Start of the block of columns from {@code j0} (a multiple of the block width) in slice {@code k0}. */
    int at(int k0, int j0) {
        return k0 * paddedCols + j0 * Math.min(Sgemm.KC, depth - k0);
    }

    /** Row length of the block that starts at column {@code j0}: the block width, or the last block's vectors. */
    int width(int j0) {
        return Math.min(block, paddedCols - j0);
    }
}
