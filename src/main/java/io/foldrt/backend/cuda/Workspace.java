package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.driver.DeviceBuffer;
import java.lang.foreign.MemorySegment;

/**
 * The scratch memory shared by every cuDNN and cuBLAS call of one executable. All work of an executable runs
 * in order on one stream, so one buffer sized for the largest need serves them all. Steps are built before
 * the size is known, so they hold this object and read the address when they run.
 */
final class Workspace {
    private long required;
    private DeviceBuffer buffer;

    void require(long bytes) {
        if (buffer != null) throw new IllegalStateException("workspace already allocated");
        required = Math.max(required, bytes);
    }

    long required() {
        return required;
    }

    void bind(DeviceBuffer b) {
        if (b.bytes() < required) throw new IllegalArgumentException("workspace too small");
        buffer = b;
    }

    MemorySegment segment() {
        return buffer == null ? MemorySegment.NULL : buffer.segment(0);
    }

    long bytes() {
        return buffer == null ? 0 : buffer.bytes();
    }
}
