package io.foldrt.runtime;

import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Options for {@link Model#session(Device, SessionOptions)}.
 *
 * @param backendOptions      passed to the backend provider (see {@link Backends} for kind prefixes)
 * @param notices             receives one-line notices such as the CUDA-to-CPU fallback; by default they go
 *                            to the {@code io.foldrt} {@link System.Logger} at INFO
 * @param opener              opens the backend; by default the providers installed on the class path
 * @param maxCachedBatchSizes how many compiled batch sizes a session keeps; the least recently used one is
 *                            freed when another is compiled, so a server that sees arbitrary batch sizes does
 *                            not grow without bound
 */
public record SessionOptions(Map<String, String> backendOptions, Consumer<String> notices, BackendOpener opener,
                             int maxCachedBatchSizes) {
    public SessionOptions {
        backendOptions = Map.copyOf(backendOptions);
        Objects.requireNonNull(notices, "notices");
        Objects.requireNonNull(opener, "opener");
        if (maxCachedBatchSizes < 1) {
            throw new IllegalArgumentException("maxCachedBatchSizes must be >= 1, got " + maxCachedBatchSizes);
        }
    }

    public static SessionOptions defaults() {
        System.Logger log = System.getLogger("io.foldrt");
        return new SessionOptions(Map.of(), m -> log.log(System.Logger.Level.INFO, m), BackendOpener.installed(), 8);
    }

    public SessionOptions withBackendOptions(Map<String, String> o) {
        return new SessionOptions(o, notices, opener, maxCachedBatchSizes);
    }

    public SessionOptions withNotices(Consumer<String> n) {
        return new SessionOptions(backendOptions, n, opener, maxCachedBatchSizes);
    }

    public SessionOptions withOpener(BackendOpener o) {
        return new SessionOptions(backendOptions, notices, o, maxCachedBatchSizes);
    }

    public SessionOptions withMaxCachedBatchSizes(int n) {
        return new SessionOptions(backendOptions, notices, opener, n);
    }
}
