package io.foldrt.backend.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import java.lang.foreign.MemorySegment;

/**
 * Copies host arrays to device memory through one bounded pinned staging buffer: data is packed into the
 * buffer, copied asynchronously, and the buffer is reused after a stream sync once full. Used at plan time
 * (weights) and by the fold engine, never in a forward pass.
 */
public final class Uploader implements AutoCloseable {
    /** Staging size: large enough to keep the copy engine busy, small enough to pin cheaply. */
    static final long CHUNK = 32L << 20;

    private final CudaStream stream;
    private final PinnedBuffer staging;
    private long used;

    public Uploader(CudaStream stream, long totalBytes) {
        this.stream = stream;
        this.staging = PinnedBuffer.allocate(Math.max(4, Math.min(totalBytes, CHUNK)));
    }

    /** Queues the copy of {@code data} to device address {@code address}. */
    public void put(long address, float[] data) {
        int done = 0;
        while (done < data.length) {
            if (used + 4 > staging.bytes()) flush();
            int n = (int) Math.min(data.length - done, (staging.bytes() - used) / 4);
            MemorySegment.copy(data, done, staging.segment(), JAVA_FLOAT, used, n);
            Driver.check(cuMemcpyHtoDAsync(DevPtr.of(address + 4L * done), staging.pointer(used), 4L * n, stream.jcuda()),
                    "cuMemcpyHtoDAsync");
            used += 4L * n;
            done += n;
        }
    }

    /** Same for raw bytes already laid out in native memory. */
    public void put(long address, MemorySegment bytes) {
        long done = 0, len = bytes.byteSize();
        while (done < len) {
            if (used >= staging.bytes()) flush();
            long n = Math.min(len - done, staging.bytes() - used);
            MemorySegment.copy(bytes, done, staging.segment(), used, n);
            Driver.check(cuMemcpyHtoDAsync(DevPtr.of(address + done), staging.pointer(used), n, stream.jcuda()),
                    "cuMemcpyHtoDAsync");
            used += n;
            done += n;
        }
    }

    /** Waits for the queued copies so the staging buffer can be refilled. */
    private void flush() {
        stream.synchronize();
        used = 0;
    }

    /** Waits for every queued copy and frees the staging buffer. */
    @Override
    public void close() {
        try {
            stream.synchronize();
        } finally {
            staging.close();
        }
    }
}
