package io.foldrt.backend.cuda.dnn;

import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.nativebind.Cudnn;
import java.lang.foreign.MemorySegment;

/**
 * An owned cuDNN handle bound to one stream. cuDNN handles must not be used by two threads at once, so each
 * executable owns one on its own stream.
 */
public final class CudnnHandle implements AutoCloseable {
    private final Cudnn cudnn;
    private final MemorySegment handle;
    private boolean closed;

    private CudnnHandle(Cudnn cudnn, MemorySegment handle) {
        this.cudnn = cudnn;
        this.handle = handle;
        LiveResources.opened("cudnn-handle");
    }

    public static CudnnHandle create(Cudnn cudnn, CudaStream stream) {
        CudnnHandle h = new CudnnHandle(cudnn, cudnn.create());
        try {
            cudnn.setStream(h.handle, stream.handle());
        } catch (RuntimeException e) {
            h.close();
            throw e;
        }
        return h;
    }

    public Cudnn cudnn() {
        return cudnn;
    }

    public MemorySegment segment() {
        return handle;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cudnn-handle");
        cudnn.destroy(handle);
    }
}
