package io.foldrt.nativebind;

import jcuda.driver.CUresult;

/** A CUDA driver API call (through JCuda or through java.lang.foreign) returned a CUresult other than 0. */
public class CudaDriverException extends NativeCallException {
    public CudaDriverException(String call, int code) {
        this(call, code, null);
    }

    public CudaDriverException(String call, int code, String detail) {
        // CUresult.stringFor is a pure-Java table, so naming the code never touches the native library.
        super(call, code, CUresult.stringFor(code), detail);
    }
}
