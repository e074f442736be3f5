package io.foldrt.nativebind;

/** An NVRTC call failed; for a compilation error the message ends with the compiler log. */
public final class NvrtcException extends NativeCallException {
    public NvrtcException(String call, int code, String nativeMessage) {
        super(call, code, NvrtcStatus.name(code), nativeMessage);
    }
}
