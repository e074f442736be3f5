package io.foldrt.backend.cuda.driver;

/** Raw device memory: the seam between {@link DevicePool} and the driver, so the pool is testable without one. */
public interface DeviceAllocator {
    /**
     * @return the device address of {@code bytes} new bytes
     * @throws DeviceOutOfMemoryException when the device has no room
     */
    long allocate(long bytes);

    void free(long address);

    /** Free and total device memory for error messages, or null when unknown. */
    default long[] memoryInfo() {
        return null;
    }
}
