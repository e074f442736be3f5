package io.foldrt.serve;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link InferenceServer} listens and schedules work.
 *
 * @param host          the address to bind; loopback by default so a model is never exposed by accident
 * @param port          the TCP port; 0 picks a free one (read it back with {@link InferenceServer#address()})
 * @param maxBatch      the largest batch one forward pass may combine from queued requests; 1 turns dynamic
 *                      batching off. A single request larger than this still runs, on its own
 * @param batchWindow   how long the worker waits for more requests after the first one of a pass, when
 *                      {@code maxBatch > 1}
 * @param maxQueue      requests per model that may wait for the worker; one more is refused with 503 at once
 * @param maxBodyBytes  largest accepted request body; a larger one is refused with 413
 * @param drainTimeout  how long {@link InferenceServer#close()} lets in-flight requests finish
 */
public record ServeConfig(String host, int port, int maxBatch, Duration batchWindow, int maxQueue, long maxBodyBytes,
                          Duration drainTimeout) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8000;
    public static final int DEFAULT_MAX_QUEUE = 64;
    /** 64 MiB: a batch of 16 float32 images of 3x224x224 written as JSON text fits. */
    public static final long DEFAULT_MAX_BODY_BYTES = 64L << 20;

    public ServeConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(batchWindow, "batchWindow");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be 0..65535, got " + port);
        if (maxBatch < 1) throw new IllegalArgumentException("maxBatch must be >= 1, got " + maxBatch);
        if (batchWindow.isNegative()) throw new IllegalArgumentException("batchWindow must be >= 0, got " + batchWindow);
        if (maxQueue < 1) throw new IllegalArgumentException("maxQueue must be >= 1, got " + maxQueue);
        if (maxBodyBytes < 1) throw new IllegalArgumentException("maxBodyBytes must be >= 1, got " + maxBodyBytes);
        if (drainTimeout.isNegative()) throw new IllegalArgumentException("drainTimeout must be >= 0, got " + drainTimeout);
    }

    /** 127.0.0.1:8000, no batching (window 2 ms once enabled), queue 64, 64 MiB bodies, 30 s to drain. */
    public static ServeConfig defaults() {
        return new ServeConfig(DEFAULT_HOST, DEFAULT_PORT, 1, Duration.ofMillis(2), DEFAULT_MAX_QUEUE,
                DEFAULT_MAX_BODY_BYTES, Duration.ofSeconds(30));
    }

    public ServeConfig withHost(String h) {
        return new ServeConfig(h, port, maxBatch, batchWindow, maxQueue, maxBodyBytes, drainTimeout);
    }

    public ServeConfig withPort(int p) {
        return new ServeConfig(host, p, maxBatch, batchWindow, maxQueue, maxBodyBytes, drainTimeout);
    }

    /** Dynamic batching: up to {@code max} rows per pass, waiting at most {@code window} for them. */
    public ServeConfig withBatching(int max, Duration window) {
        return new ServeConfig(host, port, max, window, maxQueue, maxBodyBytes, drainTimeout);
    }

    public ServeConfig withMaxQueue(int n) {
        return new ServeConfig(host, port, maxBatch, batchWindow, n, maxBodyBytes, drainTimeout);
    }

    public ServeConfig withMaxBodyBytes(long n) {
        return new ServeConfig(host, port, maxBatch, batchWindow, maxQueue, n, drainTimeout);
    }

    public ServeConfig withDrainTimeout(Duration d) {
        return new ServeConfig(host, port, maxBatch, batchWindow, maxQueue, maxBodyBytes, d);
    }

    public boolean batching() {
        return maxBatch > 1;
    }
}
