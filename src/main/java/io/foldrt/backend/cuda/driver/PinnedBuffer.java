package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;

import java.lang.foreign.MemorySegment;
import jcuda.Pointer;
import jcuda.driver.CUresult;

/**
 * Owned page-locked host memory, the staging area for asynchronous copies (a copy from pageable memory is
 * not truly asynchronous). Java writes and reads it through {@link #segment()}.
 */
public final class PinnedBuffer implements AutoCloseable {
    private final HostAddress pointer;
    private final long bytes;
    private final MemorySegment segment;
    private boolean closed;

    @SuppressWarnings("restricted") // the driver just gave us exactly this many bytes
    private PinnedBuffer(HostAddress pointer, long bytes) {
        this.pointer = pointer;
        this.bytes = bytes;
        this.segment = MemorySegment.ofAddress(pointer.address()).reinterpret(bytes);
    }

    /** Allocates in the context current on this thread. */
    public static PinnedBuffer allocate(long bytes) {
        HostAddress p = new HostAddress();
        long size = Math.max(bytes, 1);
        int rc = cuMemAllocHost(p, size);
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new DeviceOutOfMemoryException("cuMemAllocHost of " + DeviceOutOfMemoryException.size(size)
                    + " failed: out of pinned host memory", size);
        }
        Driver.check(rc, "cuMemAllocHost");
        LiveResources.opened("pinned-buffer");
        return new PinnedBuffer(p, size);
    }

    public long bytes() {
        return bytes;
    }

    public MemorySegment segment() {
        return segment;
    }

    /** For JCuda copies. */
    public Pointer pointer(long byteOffset) {
        if (byteOffset < 0 || byteOffset > bytes) throw new IndexOutOfBoundsException("offset " + byteOffset);
        return new HostAddress(pointer.address() + byteOffset);
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("pinned-buffer");
        Driver.check(cuMemFreeHost(pointer), "cuMemFreeHost");
    }
}
