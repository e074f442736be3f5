package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.dnn.CudnnHandle;
import java.util.function.Consumer;

/**
 * A single cuDNN call other than a convolution (batch norm, softmax, bias add, transposed convolution),
 * given as the call itself; the compiler binds descriptors and addresses into it.
 */
record CudnnStep(String node, CudnnHandle handle, Consumer<CudnnHandle> call, String what) implements Step {
    @Override
    public void enqueue() {
        call.accept(handle);
    }

    @Override
    public String describe() {
        return what;
    }
}
