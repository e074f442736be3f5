package io.foldrt.nativebind;

/** A cuBLAS call failed. */
public final class CublasException extends NativeCallException {
    public CublasException(String call, int code, String nativeMessage) {
        super(call, code, CublasStatus.name(code), nativeMessage);
    }
}
