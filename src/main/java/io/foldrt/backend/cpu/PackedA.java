package io.foldrt.backend.cpu;

/**
 * The left GEMM operand (rows x depth) in the layout the micro-kernel streams: panels of
 * {@link Sgemm#MR} rows, each stored depth-major ({@code [panel][k][MR]}), the last panel zero-padded.
 * Weights are packed once at compile time; activations are packed per run into planned scratch.
 */
record PackedA(float[] data, int offset, int rows, int depth) {

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
        for (int p = 0, panels = panels(rows); p < panels; p++) {
            int base = dstOff + p * depth * mr;
            for (int r = 0; r < mr; r++) {
                int row = p * mr + r;
                if (row >= rows) {
                    for (int k = 0; k < depth; k++) dst[base + k * mr + r] = 0f;
                } else {
                    int s = srcOff + row * rowStride;
                    for (int k = 0; k < depth; k++) dst[base + k * mr + r] = src[s + k * colStride];
                }
            }
        }
    }
}
