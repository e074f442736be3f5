package io.foldrt.backend.cuda.driver;

/** The device (or pinned host memory) could not satisfy an allocation. */
public final class DeviceOutOfMemoryException extends RuntimeException {
    private final long requestedBytes;

    public DeviceOutOfMemoryException(String message, long requestedBytes) {
        super(message);
        this.requestedBytes = requestedBytes;
    }

    public long requestedBytes() {
        return requestedBytes;
    }

    /** "1.5 GiB", "12.0 MiB", "512 B". */
    public static String size(long bytes) {
        if (bytes >= 1L << 30) return String.format("%.1f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format("%.1f MiB", bytes / (double) (1L << 20));
        if (bytes >= 1L << 10) return String.format("%.1f KiB", bytes / (double) (1L << 10));
        return bytes + " B";
    }
}
