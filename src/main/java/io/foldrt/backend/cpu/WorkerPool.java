package io.foldrt.backend.cpu;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads, created once by {@link CpuBackend} and shut down by it. A parallel loop
 * runs on the calling thread plus up to {@code threads - 1} helpers; iterations are handed out one at a
 * time from a shared counter, so a core that other processes slow down simply takes fewer of them.
 *
 * <p>Helpers spin for {@link #SPIN_NANOS} after their last loop before they park, and the caller spins as
 * long while it waits for the last iteration. A pass is dozens of loops of 0.05-2 ms each, and waking a
 * parked thread costs tens of microseconds on a VM, paid twice per loop (the helper's start, the caller's
 * wake-up). Measured on a 2-core Zen 5 VM against parking at once: ResNet-18 batch 1 on 2 threads 15.6-20.8
 * to 15.0-16.8 ms (medians of 4 runs each), MobileNetV2 8.4-10.7 to 6.5 ms.
 *
 * <p>One loop is in flight at a time. A caller that finds another's loop running (two executables of one
 * backend run from two threads) runs its loop alone as worker 0: its workspaces are its own, so that is
 * correct, only not parallel.
 */
final class WorkerPool implements AutoCloseable {
    /** How long an idle thread spins before it parks: covers the gaps between the loops of a pass. */
    static final long SPIN_NANOS = 200_000;

    /** Loop body: {@code worker} is in [0, threads) and unique among the iterations running at once. */
    @FunctionalInterface
    interface Body {
        void run(int index, int worker);
    }

    private static final AtomicInteger POOLS = new AtomicInteger();

    private final int threads;
    private final Helper[] helpers;
    private final AtomicReference<Loop> current = new AtomicReference<>();
    private volatile boolean closed;

    WorkerPool(int threads) {
        if (threads <= 0) throw new IllegalArgumentException("threads must be positive, got " + threads);
        this.threads = threads;
        this.helpers = new Helper[threads - 1];
        int pool = POOLS.incrementAndGet();
        for (int h = 0; h < helpers.length; h++) {
            helpers[h] = new Helper(h + 1);
            Thread t = new Thread(helpers[h], "foldrt-cpu-" + pool + "-worker-" + (h + 1));
            t.setDaemon(true); // never keeps a JVM alive whose owner forgot close()
            helpers[h].thread = t;
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /** The helper threads, for tests. */
    List<Thread> helperThreads() {
        return Arrays.stream(helpers).map(h -> h.thread).toList();
    }

    /** Runs {@code body} for every index in [0, count) and returns when all have finished. */
    void parallelFor(int count, Body body) {
        if (count <= 0) return;
        Loop loop = helpers.length == 0 || count == 1 || closed ? null : new Loop(count, body, Thread.currentThread());
        if (loop == null || !current.compareAndSet(null, loop)) {
            for (int i = 0; i < count; i++) body.run(i, 0);
            return;
        }
        try {
            for (Helper h : helpers) if (h.parked) LockSupport.unpark(h.thread);
            loop.work(0);
            loop.await();
        } finally {
            current.set(null);
        }
        loop.rethrow();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (Helper h : helpers) LockSupport.unpark(h.thread);
        for (Helper h : helpers) {
            try {
                h.thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** A helper thread: joins every loop it sees, spins between loops, parks when idle for long. */
    private final class Helper implements Runnable {
        private final int worker;
        private Thread thread;
        private volatile boolean parked;

        Helper(int worker) {
            this.worker = worker;
        }

        @Override
        public void run() {
            Loop last = null;
            long idleSince = System.nanoTime();
            while (!closed) {
                Loop loop = current.get();
                if (loop != null && loop != last) {
                    last = loop;
                    loop.work(worker);
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < SPIN_NANOS) {
                    Thread.onSpinWait();
                } else {
                    // Announce the park, then look once more: parallelFor publishes its loop before it reads
                    // 'parked', so either this sees the loop or the caller sees the flag and unparks.
                    parked = true;
                    loop = current.get();
                    if (!closed && (loop == null || loop == last)) LockSupport.park(this);
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
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

        /** Spins for the helpers' last iterations, then parks until the one that finishes unparks it. */
        void await() {
            long start = System.nanoTime();
            while (remaining.get() > 0) {
                if (System.nanoTime() - start < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error e) throw e;
            if (t != null) throw new IllegalStateException(t);
        }
    }
}
