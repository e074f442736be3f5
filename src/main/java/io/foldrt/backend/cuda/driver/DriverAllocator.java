package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;

import jcuda.driver.CUresult;

/** {@link DeviceAllocator} on cuMemAlloc/cuMemFree in the device's primary context. */
public final class DriverAllocator implements DeviceAllocator {
    private final CudaDevice device;

    public DriverAllocator(CudaDevice device) {
        this.device = device;
    }

    @Override
    public long allocate(long bytes) {
        device.makeCurrent();
        DevPtr p = new DevPtr();
        int rc = cuMemAlloc(p, bytes);
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new DeviceOutOfMemoryException("cuMemAlloc of " + DeviceOutOfMemoryException.size(bytes)
                    + " failed: out of device memory", bytes);
        }
        Driver.check(rc, "cuMemAlloc");
        return p.address();
    }

    @Override
    public void free(long address) {
        device.makeCurrent();
        Driver.check(cuMemFree(DevPtr.of(address)), "cuMemFree");
    }

    @Override
    public long[] memoryInfo() {
        try {
            return device.memoryInfo();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
