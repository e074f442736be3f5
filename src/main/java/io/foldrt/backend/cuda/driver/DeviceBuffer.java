package io.foldrt.backend.cuda.driver;

import java.lang.foreign.MemorySegment;
import jcuda.driver.CUdeviceptr;

/**
 * An owned block of device memory from a {@link DevicePool}; {@link #close()} gives it back (once). The
 * address is stable for the buffer's life, so plans may bake it into kernel arguments and CUDA graphs.
 */
public final class DeviceBuffer implements AutoCloseable {
    private final DevicePool pool;
    private final long address, bytes, capacity;
    private final DevPtr ptr;

    DeviceBuffer(DevicePool pool, long address, long bytes, long capacity) {
        this.pool = pool;
        this.address = address;
        this.bytes = bytes;
        this.capacity = capacity;
        this.ptr = DevPtr.of(address);
    }

    public long address() {
        return address;
    }

    /** The size that was asked for. */
    public long bytes() {
        return bytes;
    }

    long capacity() {
        return capacity;
    }

    /** For JCuda calls. */
    public CUdeviceptr ptr() {
        return ptr;
    }

    public CUdeviceptr ptr(long byteOffset) {
        checkOffset(byteOffset);
        return DevPtr.of(address + byteOffset);
    }

    /** The address as an FFM pointer argument (zero-length segment). */
    public MemorySegment segment(long byteOffset) {
        checkOffset(byteOffset);
        return MemorySegment.ofAddress(address + byteOffset);
    }

    private void checkOffset(long off) {
        if (off < 0 || off > bytes) throw new IndexOutOfBoundsException("offset " + off + " outside " + bytes + " bytes");
    }

    @Override
    public void close() {
        pool.release(this);
    }
}
