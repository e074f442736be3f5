package io.foldrt.backend.cuda.driver;

import jcuda.driver.CUdeviceptr;

/**
 * A {@link CUdeviceptr} whose raw device address can be read, for handing to cuDNN/cuBLAS through
 * java.lang.foreign. JCuda passes {@code nativePointer + byteOffset} to the driver, and both getters are
 * protected, hence this subclass.
 */
public final class DevPtr extends CUdeviceptr {
    private static final CUdeviceptr ZERO = new CUdeviceptr();

    /** An empty pointer for cuMemAlloc to fill in. */
    public DevPtr() {
        super();
    }

    private DevPtr(CUdeviceptr base, long byteOffset) {
        super(base, byteOffset);
    }

    /** A pointer to an arbitrary device address: null base plus the address as byte offset. */
    public static DevPtr of(long address) {
        return new DevPtr(ZERO, address);
    }

    /** The address JCuda would pass to the driver. */
    public long address() {
        return getNativePointer() + getByteOffset();
    }
}
