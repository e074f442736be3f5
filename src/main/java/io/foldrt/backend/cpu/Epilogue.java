package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;

/**
 * What happens to a finished GEMM tile while it is still in L1: {@code act(alpha * acc + rowBias[i] + addend[i][j])},
 * then the copy into the output. Conv uses the row bias (one per output channel); Gemm uses alpha and the
 * addend (beta * C broadcast to the output, prepared at compile time).
 *
 * @param rowBias  per output row, or null
 * @param addend   row-major with {@code addendCols} columns, or null
 */
record Epilogue(float alpha, float[] rowBias, float[] addend, int addendCols, Activation activation) {

    static final Epilogue PLAIN = new Epilogue(1f, null, null, 0, Activation.NONE);

    static Epilogue bias(float[] rowBias, Activation act) {
        return new Epilogue(1f, rowBias, null, 0, act);
    }

    /**
     * Finishes one accumulator row (output row {@code row}, columns j0..j0+nc) and stores it at
     * {@code out[outOff + row*ldc + j0 ..]}. Every loop indexes its arrays from 0, so it vectorizes.
     */
    void finish(float[] acc, int row, int j0, int nc, float[] out, int outOff, int ldc, Workspace ws) {
        float b = rowBias == null ? 0f : rowBias[row];
        if (alpha != 1f || b != 0f) {
            float a = alpha;
            for (int j = 0; j < nc; j++) acc[j] = Math.fma(acc[j], a, b);
        }
        if (addend != null) {
            float[] t = ws.rowA;
            System.arraycopy(addend, row * addendCols + j0, t, 0, nc);
            for (int j = 0; j < nc; j++) acc[j] += t[j];
        }
        ActivationLoops.apply(activation, acc, 0, nc);
        System.arraycopy(acc, 0, out, outOff + row * ldc + j0, nc);
    }
}
