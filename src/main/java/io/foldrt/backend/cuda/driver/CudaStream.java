package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.lang.foreign.MemorySegment;
import jcuda.driver.CUstream;
import jcuda.driver.CUstream_flags;

/** An owned non-blocking stream; work on it never waits for the legacy default stream. */
public final class CudaStream implements AutoCloseable {
    private final RawStream stream;
    private boolean closed;

    private CudaStream(RawStream stream) {
        this.stream = stream;
    }

    /** Creates a stream in the context current on this thread. */
    public static CudaStream create() {
        RawStream s = new RawStream();
        Driver.check(cuStreamCreate(s, CUstream_flags.CU_STREAM_NON_BLOCKING), "cuStreamCreate");
        LiveResources.opened("cuda-stream");
        return new CudaStream(s);
    }

    public CUstream jcuda() {
        return stream;
    }

    /** The raw handle, usable as {@code cudaStream_t} by cuDNN and cuBLAS. */
    public MemorySegment handle() {
        return MemorySegment.ofAddress(stream.handle());
    }

    /** Blocks the calling thread until all work queued so far has finished. */
    public void synchronize() {
        Driver.check(cuStreamSynchronize(stream), "cuStreamSynchronize");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cuda-stream");
        Driver.check(cuStreamDestroy(stream), "cuStreamDestroy");
    }
}
