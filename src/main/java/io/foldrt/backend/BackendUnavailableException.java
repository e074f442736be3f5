package io.foldrt.backend;

/** A backend cannot run on this machine (no driver, no GPU, no cuDNN...). The message is one line saying why. */
public class BackendUnavailableException extends RuntimeException {
    public BackendUnavailableException(String reason) {
        super(reason);
    }

    public BackendUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
