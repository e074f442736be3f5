package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;

/**
 * What happens to a finished row of a GEMM tile while it is still in L1 (bias, scaling, activation) and how
 * it is stored. Every loop here indexes its arrays from 0 (see {@link Sgemm}), so it vectorizes.
 */
sealed interface Epilogue {

    /**
     * Finishes accumulator row {@code acc} holding output row {@code row}, columns {@code j0 .. j0+nc-1}, and
     * stores it into {@code out} (layout per implementation; {@code ldc} is the output row stride). {@code res}:
     * null, or a residual laid out as {@code out}, added to every element before the activation (a conv
     * whose output only feeds an Add, see {@link Compiler}); only conv epilogues take one.
     */
    void finish(float[] acc, int row, int j0, int nc, float[] out, float[] res, int outOff, int ldc, Workspace ws);

    /**
     * Called once per tile after every row was finished, with the tile's accumulator rows ({@code acc[0]}
     * holds output row {@code row0}); for epilogues that store the whole tile at once. Default: nothing.
     */
    default void storeTile(float[][] acc, int row0, int rows, int j0, int nc, float[] out, float[] res, int outOff,
                           int ldc) {}

    Epilogue PLAIN = new RowBias(null, Activation.NONE, false);

    /**
     * {@code act(acc + bias[row])}, stored row-major: a conv's output channel row. {@code bias} may be null;
     * {@code vector}: with {@link VectorActivation} (only where the backend runs the vector kernels).
     */
    record RowBias(float[] bias, Activation act, boolean vector) implements Epilogue {
        @Override
        public void finish(float[] acc, int row, int j0, int nc, float[] out, float[] res, int outOff, int ldc,
                           Workspace ws) {
            float b = bias == null ? 0f : bias[row];
            int o = outOff + row * ldc + j0;
            if (vector) {
                VectorActivation.biasThenApply(act, acc, nc, b, res, out, o);
            } else {
                ActivationLoops.biasThenApply(act, acc, nc, b, res, o);
                System.arraycopy(acc, 0, out, o, nc);
            }
        }
    }

    /**
     * {@code act(alpha * acc + addend[row][j])}, stored row-major: ONNX Gemm, whose {@code beta * C} was
     * broadcast to the output shape at compile time ({@code addend} null when there is no C).
     */
    record Scaled(float alpha, float[] addend, int addendCols, Activation act) implements Epilogue {
        @Override
        public void finish(float[] acc, int row, int j0, int nc, float[] out, float[] res, int outOff, int ldc,
                           Workspace ws) {
            if (res != null) throw new IllegalArgumentException("a Gemm epilogue takes no residual");
            if (alpha != 1f) {
                float a = alpha;
                for (int j = 0; j < nc; j++) acc[j] *= a;
            }
            if (addend != null) {
                float[] t = ws.rowA;
                System.arraycopy(addend, row * addendCols + j0, t, 0, nc);
                ActivationLoops.biasThenApply(act, acc, nc, t);
            } else {
                ActivationLoops.apply(act, acc, 0, nc);
            }
            System.arraycopy(acc, 0, out, outOff + row * ldc + j0, nc);
        }
    }

    /**
     * {@code act(acc + bias[j0 + j])} for a tile computed transposed (rows = output pixels, columns = output
     * channels), stored back into the channel-major output: element (row, j) goes to
     * {@code out[outOff + (j0 + j) * ldc + row]}. Rows are finished one by one while hot; the store then
     * walks the whole tile channel by channel, so that the output is written in contiguous runs. A residual
     * is laid out channel-major too, so it is added, and the activation applied, in that store.
     */
    record ChannelColumns(float[] bias, Activation act, boolean vector) implements Epilogue {
        @Override
        public void finish(float[] acc, int row, int j0, int nc, float[] out, float[] res, int outOff, int ldc,
                           Workspace ws) {
            Activation a = res == null ? act : Activation.NONE;
            if (bias != null) {
                float[] t = ws.rowA;
                System.arraycopy(bias, j0, t, 0, nc);
                if (vector) VectorActivation.biasThenApply(a, acc, nc, t);
                else ActivationLoops.biasThenApply(a, acc, nc, t);
            } else {
                ActivationLoops.apply(a, acc, 0, nc);
            }
        }

        @Override
        public void storeTile(float[][] acc, int row0, int rows, int j0, int nc, float[] out, float[] res, int outOff,
                              int ldc) {
            for (int j = 0; j < nc; j++) {
                int o = outOff + (j0 + j) * ldc + row0;
                if (res != null && !vector) {
                    for (int r = 0; r < rows; r++) out[o + r] = act.apply(acc[r][j] + res[o + r]);
                    continue;
                }
                for (int r = 0; r < rows; r++) out[o + r] = acc[r][j];
                // the residual on the run in place, while it is in L1: a vector pass, where the scalar loop cost
                // as much as the BatchNorm pass it replaces (ResNet-18's 7x7 convs with a residual)
                if (res != null) VectorActivation.scaleShiftApply(act, out, res, out, o, o + rows, 1f, 0f);
            }
        }
    }
}
