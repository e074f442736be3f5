package io.foldrt.backend.cuda.driver;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Process-wide count of open native resources by kind ("device-buffer", "cudnn-tensor-descriptor", ...).
 * Every owner increments on create and decrements on close, so tests can assert that closing an executable
 * or backend leaves nothing behind.
 */
public final class LiveResources {
    private static final Map<String, AtomicLong> COUNTS = new ConcurrentHashMap<>();

    private LiveResources() {}

    public static void opened(String kind) {
        COUNTS.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    public static void closed(String kind) {
        COUNTS.computeIfAbsent(kind, k -> new AtomicLong()).decrementAndGet();
    }

    public static long count(String kind) {
        AtomicLong c = COUNTS.get(kind);
        return c == null ? 0 : c.get();
    }

    /** Kinds with a non-zero count. */
    public static Map<String, Long> snapshot() {
        Map<String, Long> m = new TreeMap<>();
        COUNTS.forEach((k, v) -> {
            if (v.get() != 0) m.put(k, v.get());
        });
        return m;
    }
}
