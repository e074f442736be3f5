package io.foldrt.onnx;

import io.foldrt.ir.ModelException;

/** The opsets FoldRT reads and writes, and the IR version that goes with each. */
final class OnnxVersions {
    static final int MIN_OPSET = 9;
    static final int MAX_OPSET = 21;

    private OnnxVersions() {}

    /**
     * The IR version of the ONNX release that introduced {@code opset}: the oldest one that can carry it,
     * so older runtimes still load what we write (opset 9: ONNX 1.4, IR 4 ... opset 21: ONNX 1.16, IR 10).
     */
    static long irVersionFor(int opset) {
        checkOpset(opset);
        if (opset <= 9) return 4;
        if (opset == 10) return 5;
        if (opset == 11) return 6;
        if (opset <= 14) return 7;
        if (opset <= 18) return 8;
        if (opset <= 20) return 9;
        return 10;
    }

    static void checkOpset(int opset) {
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new ModelException("ONNX opset " + opset + " is not supported; FoldRT writes opsets "
                    + MIN_OPSET + " to " + MAX_OPSET);
        }
    }
}
