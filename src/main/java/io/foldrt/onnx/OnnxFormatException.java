package io.foldrt.onnx;

import io.foldrt.ir.ModelException;

/**
 * An ONNX file that FoldRT cannot read: not a model, damaged, or using something outside the supported
 * subset. The message is one line that names the file and the node, tensor or field at fault and says what
 * was expected.
 */
public class OnnxFormatException extends ModelException {
    public OnnxFormatException(String message) {
        super(message);
    }

    public OnnxFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
