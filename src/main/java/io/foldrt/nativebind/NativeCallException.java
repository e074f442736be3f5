package io.foldrt.nativebind;

/**
 * A native library call returned an error status. Carries the function name, the numeric code, the code's
 * enum name from the library's header and the library's own error text.
 */
public class NativeCallException extends RuntimeException {
    private final String call;
    private final int code;
    private final String codeName;
    private final String nativeMessage;

    protected NativeCallException(String call, int code, String codeName, String nativeMessage) {
        super(call + " failed: " + codeName + " (" + code + ")"
                + (nativeMessage == null || nativeMessage.isBlank() ? "" : ": " + oneLine(nativeMessage)));
        this.call = call;
        this.code = code;
        this.codeName = codeName;
        this.nativeMessage = nativeMessage;
    }

    public String call() {
        return call;
    }

    public int code() {
        return code;
    }

    public String codeName() {
        return codeName;
    }

    /** The library's error string (may be null). */
    public String nativeMessage() {
        return nativeMessage;
    }

    static String oneLine(String s) {
        return s.replaceAll("\\s*[\\r\\n]+\\s*", "; ").trim();
    }
}
