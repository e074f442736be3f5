package io.foldrt.ir;

/**
 * Bad input: a model, tensor, file or option that cannot be used as given. The message is one line that
 * names the offending file, node, tensor or field and what was expected. The CLI maps it to exit code 2.
 */
public class ModelException extends RuntimeException {
    public ModelException(String message) {
        super(message);
    }

    public ModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
