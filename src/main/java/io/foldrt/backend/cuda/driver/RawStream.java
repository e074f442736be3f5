package io.foldrt.backend.cuda.driver;

import jcuda.driver.CUstream;

/** A {@link CUstream} exposing its raw handle, which cuDNN and cuBLAS take as {@code cudaStream_t}. */
final class RawStream extends CUstream {
    long handle() {
        return getNativePointer();
    }
}
