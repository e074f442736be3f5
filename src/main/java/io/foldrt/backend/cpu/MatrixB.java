package io.foldrt.backend.cpu;

/**
 * A run-time matrix as GEMM B operand: element (k, j) is at {@code srcOff + k*rowStride + j*colStride}.
 * With unit column stride each row is one array copy, or none: the vector kernel reads such rows in place
 * ({@link #inPlace}). This is also the 1x1 stride-1 convolution's operand, whose input planes already are
 * the columns, so it needs no im2col.
 */
record MatrixB(int rowStride, int colStride) implements BSource {

    /**
     * The index of element (k0, j0) in {@code src} when rows {@code k0 .. k0+kc-1} can be read in place,
     * {@code width} floats each from column j0 ({@code width} may run past the block's columns, into the
     * next row or beyond: it must stay inside the array); else -1, and {@link #panel} copies them.
     */
    int inPlace(float[] src, int srcOff, int k0, int kc, int j0, int width) {
        if (colStride != 1) return -1;
        long first = srcOff + (long) k0 * rowStride + j0;
        return first + (long) (kc - 1) * rowStride + width <= src.length ? (int) first : -1;
    }

    @Override
    public float[][] panel(float[] src, int srcOff, int k0, int kc, int j0, int nc, Workspace ws) {
        float[][] rows = ws.packRows;
        for (int i = 0; i < kc; i++) {
            int s = srcOff + (k0 + i) * rowStride + j0 * colStride;
            float[] dst = rows[i];
            if (colStride == 1) {
                System.arraycopy(src, s, dst, 0, nc);
            } else {
                for (int j = 0; j < nc; j++) dst[j] = src[s + j * colStride];
            }
        }
        return rows;
    }
}
