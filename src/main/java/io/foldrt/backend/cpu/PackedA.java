package io.foldrt.backend.cpu;

/**
 * The left GEMM operand (rows x depth) in the layout the micro-kernel streams: panels of
 * {@link Sgemm#MR} rows, the last zero-padded, cut into depth slices of {@link Sgemm#KC}, stored
 * {@code [slice][panel][k][MR]}. The GEMM walks all panels of a slice before the next slice, so that order
 * reads A front to back: one sequential stream that the hardware prefetcher follows, which matters where A
 * is a layer's weights coming from DRAM (a 512-channel 3x3 conv has 9 MiB of them for 49 pixels).
 * Weights are packed once at compile time; activations are packed per run into planned scratch.
 */
record PackedA(float[] data, int offset, int rows, int depth) {

    /** Index in {@link #data} of panel {@code p}'s first element at depth {@code k0} (a multiple of KC). */
    int at(int p, int k0) {
        return offset + index(rows, depth, p, k0);
    }

    /** Offset of panel {@code p} at depth slice start {@code k0} in a packed rows x depth matrix. */
    static int index(int rows, int depth, int p, int k0) {
        return (k0 * panels(rows) + p * Math.min(Sgemm.KC, depth - k0)) * Sgemm.MR;
    }

    static int panels(int rows) {
        return (rows + Sgemm.MR - 1) / Sgemm.MR;
    }

    /** Floats needed to pack a rows x depth matrix. */
    static int size(int rows, int depth) {
        return Math.multiplyExact(panels(rows) * Sgemm.MR, depth);
    }

    /** Packs a freshly allocated copy of {@code src}; element (i, k) is at {@code srcOff + i*rowStride + k*colStride}. */
    static PackedA of(float[] src, int srcOff, int rowStride, int colStride, int rows, int depth) {
        float[] dst = new float[size(rows, depth)];
        pack(src, srcOff, rowStride, colStride, rows, depth, dst, 0);
        return new PackedA(dst, 0, rows, depth);
    }

    static void pack(float[] src, int srcOff, int rowStride, int colStride, int rows, int depth,
                     float[] dst, int dstOff) {
        int mr = Sgemm.MR;
        for (int k0 = 0; k0 < depth; k0 += Sgemm.KC) {
            int kc = Math.min(Sgemm.KC, depth - k0);
            for (int p = 0, panels = panels(rows); p < panels; p++) {
                int base = dstOff + index(rows, depth, p, k0);
                for (int r = 0; r < mr; r++) {
                    int row = p * mr + r;
                    if (row >= rows) {
                        for (int k = 0; k < kc; k++) dst[base + k * mr + r] = 0f;
                    } else {
                        int s = srcOff + row * rowStride + k0 * colStride;
                        for (int k = 0; k < kc; k++) dst[base + k * mr + r] = src[s + k * colStride];
                    }
                }
            }
        }
    }
}
