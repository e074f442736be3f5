package io.foldrt.backend.cuda.driver;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * An ownership scope: resources added here are closed in reverse order of addition, all of them even when
 * one close fails (later failures are added as suppressed). Used so that a half-built plan frees everything
 * it allocated when a later step throws.
 */
public final class Resources implements AutoCloseable {
    private final Deque<AutoCloseable> stack = new ArrayDeque<>();
    private boolean closed;

    /** Takes ownership of {@code r} and returns it. */
    public synchronized <T extends AutoCloseable> T add(T r) {
        if (closed) {
            closeQuietly(r);
            throw new IllegalStateException("resource scope is already closed");
        }
        stack.push(r);
        return r;
    }

    public synchronized int size() {
        return stack.size();
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        RuntimeException first = null;
        while (!stack.isEmpty()) {
            try {
                stack.pop().close();
            } catch (Exception e) {
                RuntimeException r = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                if (first == null) first = r; else first.addSuppressed(r);
            }
        }
        if (first != null) throw first;
    }

    private static void closeQuietly(AutoCloseable r) {
        try {
            r.close();
        } catch (Exception ignored) {
            // already failing
        }
    }
}
