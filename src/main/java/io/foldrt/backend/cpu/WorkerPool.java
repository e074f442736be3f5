package io.foldrt.backend.cpu;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads, created once by {@link CpuBackend} and shut down by it. A parallel loop
 * runs on the calling thread plus up to {@code threads - 1} helpers; iterations are handed out one at a
 * time from a shared counter, so a core that other processes slow down simply takes fewer of them.
 */
final class WorkerPool implements AutoCloseable {

    /** Loop body: {@code worker} is in [0, threads) and unique among the iterations running at once. */
    @FunctionalInterface
    interface Body {
        void run(int index, int worker);
    }

    private final int threads;
    private final ExecutorService helpers; // null when single-threaded

    WorkerPool(int threads) {
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, got " + threads);
        this.threads = threads;
        this.helpers = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, new Factory());
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body} for every index in [0, count) and returns when all have finished. */
    void parallelFor(int count, Body body) {
        if (count <= 0) return;
        if (helpers == null || count == 1) {
            for (int i = 0; i < count; i++) body.run(i, 0);
            return;
        }
        Loop loop = new Loop(count, body, Thread.currentThread());
        int extra = Math.min(threads - 1, count - 1);
        for (int h = 1; h <= extra; h++) {
            int worker = h;
            helpers.execute(() -> loop.work(worker));
        }
        loop.work(0);
        loop.await();
    }

    @Override
    public void close() {
        if (helpers == null) return;
        helpers.shutdown();
        try {
            if (!helpers.awaitTermination(10, TimeUnit.SECONDS)) helpers.shutdownNow();
        } catch (InterruptedException e) {
            helpers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** One parallel loop in flight. The caller waits for completed iterations, not for helper threads. */
    private static final class Loop {
        private final int count;
        private final Body body;
        private final Thread caller;
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger remaining;
        private volatile Throwable failure;

        Loop(int count, Body body, Thread caller) {
            this.count = count;
            this.body = body;
            this.caller = caller;
            this.remaining = new AtomicInteger(count);
        }

        void work(int worker) {
            for (int i; (i = next.getAndIncrement()) < count; ) {
                try {
                    if (failure == null) body.run(i, worker); // after a failure the rest is only counted off
                } catch (Throwable t) {
                    if (failure == null) failure = t;
                } finally {
                    if (remaining.decrementAndGet() == 0) LockSupport.unpark(caller);
                }
            }
        }

        void await() {
            while (remaining.get() > 0) LockSupport.park(this);
            Throwable t = failure;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }

    private static final class Factory implements ThreadFactory {
        private static final AtomicInteger POOLS = new AtomicInteger();
        private final int pool = POOLS.incrementAndGet();
        private final AtomicInteger n = new AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
            Thread t = new Thread(r, "foldrt-cpu-" + pool + "-worker-" + n.incrementAndGet());
            t.setDaemon(true); // never keeps a JVM alive whose owner forgot close()
            return t;
        }
    }
}
