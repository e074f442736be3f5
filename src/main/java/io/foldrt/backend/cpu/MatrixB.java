package io.foldrt.backend.cpu;

/**
 * A run-time matrix as GEMM B operand: element (k, j) is at {@code srcOff + k*rowStride + j*colStride}.
 * With unit column stride each row is one array copy; this is also the 1x1 stride-1 convolution's
 * operand, whose input planes already are the columns, so it needs no im2col.
 */
record MatrixB(int rowStride, int colStride) implements BSource {

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
