package io.foldrt.backend.cuda.driver;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A caching device allocator. Freed blocks are kept by rounded size and handed out again, so compiling and
 * closing executables repeatedly (benchmarks over batch sizes) does not pay cuMemAlloc/cuMemFree each time.
 * When the device is full, the cache is released and the allocation retried once before failing with a
 * message that names the purpose and the device's free memory. Thread-safe.
 */
public final class DevicePool implements AutoCloseable {
    static final long SMALL_GRANULE = 512;
    static final long LARGE_GRANULE = 2L << 20;

    private final DeviceAllocator allocator;
    private final Map<Long, ArrayDeque<Long>> cache = new HashMap<>();
    private final List<DeviceBuffer> live = new ArrayList<>();
    private long cachedBytes;
    private boolean closed;

    public DevicePool(DeviceAllocator allocator) {
        this.allocator = allocator;
    }

    /** Rounds a request up so that blocks of nearly equal size can be reused; 0 bytes still gets a block. */
    static long roundUp(long bytes) {
        long g = bytes <= (1L << 20) ? SMALL_GRANULE : LARGE_GRANULE;
        return Math.max(g, (bytes + g - 1) / g * g);
    }

    /**
     * @param purpose what the memory is for, for the out-of-memory message ("activation arena", ...)
     * @throws DeviceOutOfMemoryException when the device cannot hold it even after releasing the cache
     */
    public synchronized DeviceBuffer allocate(long bytes, String purpose) {
        if (closed) throw new IllegalStateException("device pool is closed");
        if (bytes < 0) throw new IllegalArgumentException("negative size " + bytes);
        long size = roundUp(bytes);
        Long address = takeCached(size);
        if (address == null) address = allocateFresh(size, purpose);
        DeviceBuffer b = new DeviceBuffer(this, address, bytes, size);
        live.add(b);
        LiveResources.opened("device-buffer");
        return b;
    }

    private Long takeCached(long size) {
        ArrayDeque<Long> q = cache.get(size);
        if (q == null || q.isEmpty()) return null;
        cachedBytes -= size;
        return q.pop();
    }

    private long allocateFresh(long size, String purpose) {
        try {
            return allocator.allocate(size);
        } catch (DeviceOutOfMemoryException first) {
            trim();
            try {
                return allocator.allocate(size);
            } catch (DeviceOutOfMemoryException e) {
                long[] info = allocator.memoryInfo();
                String where = info == null ? ""
                        : " (" + DeviceOutOfMemoryException.size(info[0]) + " free of "
                        + DeviceOutOfMemoryException.size(info[1]) + ")";
                throw new DeviceOutOfMemoryException("out of device memory: " + purpose + " needs "
                        + DeviceOutOfMemoryException.size(size) + where, size);
            }
        }
    }

    synchronized void release(DeviceBuffer b) {
        if (!live.remove(b)) return;
        LiveResources.closed("device-buffer");
        if (closed) {
            allocator.free(b.address());
            return;
        }
        cache.computeIfAbsent(b.capacity(), k -> new ArrayDeque<>()).push(b.address());
        cachedBytes += b.capacity();
    }

    /** Returns every cached block to the driver. */
    public synchronized void trim() {
        RuntimeException first = null;
        for (var e : cache.entrySet()) {
            while (!e.getValue().isEmpty()) {
                long a = e.getValue().pop();
                cachedBytes -= e.getKey();
                try {
                    allocator.free(a);
                } catch (RuntimeException ex) {
                    if (first == null) first = ex;
                }
            }
        }
        cache.clear();
        if (first != null) throw first;
    }

    public synchronized int liveBuffers() {
        return live.size();
    }

    public synchronized long cachedBytes() {
        return cachedBytes;
    }

    /** Frees the cache and any buffer still open (their owners should have closed them first). */
    @Override
    public synchronized void close() {
        if (closed) return;
        trim();
        closed = true;
        for (DeviceBuffer b : new ArrayList<>(live)) b.close();
    }
}
