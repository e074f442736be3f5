package io.foldrt.nativebind;

/** A cuDNN call failed; {@link #category()} groups the status as cuDNN 9 does (also for cuDNN 8 codes). */
public final class CudnnException extends NativeCallException {
    private final CudnnStatus.Category category;

    public CudnnException(String call, int code, boolean v9Numbering, String nativeMessage) {
        super(call, code, CudnnStatus.name(code, v9Numbering), nativeMessage);
        this.category = CudnnStatus.category(code, v9Numbering);
    }

    public CudnnStatus.Category category() {
        return category;
    }
}
