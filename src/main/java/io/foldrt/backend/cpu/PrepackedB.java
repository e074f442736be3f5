package io.foldrt.backend.cpu;

/** A constant B operand (weights of Gemm or MatMul) split into NR-column blocks of row arrays at compile time. */
final class PrepackedB implements BSource {
    private final float[][][] blocks; // [column block][k][NR]

    /** Element (k, j) of the operand is {@code src[srcOff + k*rowStride + j*colStride]}. */
    PrepackedB(float[] src, int srcOff, int rowStride, int colStride, int depth, int cols) {
        int nb = (cols + Sgemm.NR - 1) / Sgemm.NR;
        blocks = new float[nb][depth][Sgemm.NR];
        for (int b = 0; b < nb; b++) {
            int j0 = b * Sgemm.NR, nc = Math.min(Sgemm.NR, cols - j0);
            for (int k = 0; k < depth; k++) {
                float[] row = blocks[b][k];
                for (int j = 0; j < nc; j++) row[j] = src[srcOff + k * rowStride + (j0 + j) * colStride];
            }
        }
    }

    @Override
    public float[][] panel(float[] src, int srcOff, int k0, int kc, int j0, int nc, Workspace ws) {
        if (j0 % Sgemm.NR != 0) throw new IllegalArgumentException("column block must start at a multiple of NR");
        System.arraycopy(blocks[j0 / Sgemm.NR], k0, ws.rowView, 0, kc); // references only
        return ws.rowView;
    }
}
