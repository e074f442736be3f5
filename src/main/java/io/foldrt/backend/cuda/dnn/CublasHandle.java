package io.foldrt.backend.cuda.dnn;

import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.nativebind.Cublas;
import java.lang.foreign.MemorySegment;

/**
 * An owned cuBLAS handle bound to one stream, with a caller-owned workspace: without one cuBLAS allocates
 * its own, which a CUDA-graph capture cannot contain.
 */
public final class CublasHandle implements AutoCloseable {
    private final Cublas cublas;
    private final MemorySegment handle;
    private boolean closed;

    private CublasHandle(Cublas cublas, MemorySegment handle) {
        this.cublas = cublas;
        this.handle = handle;
        LiveResources.opened("cublas-handle");
    }

    /** @param tf32 allow TF32 tensor cores for float32 GEMMs (faster, about 1e-3 relative error) */
    public static CublasHandle create(Cublas cublas, CudaStream stream, boolean tf32) {
        CublasHandle h = new CublasHandle(cublas, cublas.create());
        try {
            cublas.setStream(h.handle, stream.handle());
            cublas.setMathMode(h.handle, tf32 ? Cublas.CUBLAS_TF32_TENSOR_OP_MATH : Cublas.CUBLAS_DEFAULT_MATH);
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return h;
    }

    public void setWorkspace(MemorySegment workspace, long bytes) {
        cublas.setWorkspace(handle, workspace, bytes);
    }

    public Cublas cublas() {
        return cublas;
    }

    public MemorySegment segment() {
        return handle;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cublas-handle");
        cublas.destroy(handle);
    }
}
