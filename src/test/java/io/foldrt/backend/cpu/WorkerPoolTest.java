package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void everyIndexRunsExactlyOnceWithAValidWorkerId() {
        for (int threads : new int[] {1, 2, 4}) {
            try (WorkerPool pool = new WorkerPool(threads)) {
                for (int count : new int[] {0, 1, 3, 1000}) {
                    AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(count, 1));
                    pool.parallelFor(count, (i, w) -> {
                        assertTrue(w >= 0 && w < threads);
                        hits.incrementAndGet(i);
                    });
                    for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "index " + i);
                }
            }
        }
    }

    @Test
    void aFailureInAnyIterationReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            var e = assertThrows(IllegalArgumentException.class, () -> pool.parallelFor(50, (i, w) -> {
                if (i == 37) throw new IllegalArgumentException("boom " + i);
            }));
            assertEquals("boom 37", e.getMessage());
            pool.parallelFor(10, (i, w) -> { }); // still usable
        }
    }

    /** Loops from several callers at once: each index once, and no worker id in two iterations at a time. */
    @Test
    void concurrentCallersNeverShareAWorkerIdAtOnce() throws Exception {
        int callers = 3, threads = 3, loops = 100, count = 64;
        try (WorkerPool pool = new WorkerPool(threads)) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                Thread t = new Thread(() -> {
                    try {
                        start.await();
                        // Worker ids are per caller: a caller running its loop alone uses worker 0 for all of it.
                        AtomicIntegerArray busy = new AtomicIntegerArray(threads);
                        for (int l = 0; l < loops; l++) {
                            AtomicIntegerArray hits = new AtomicIntegerArray(count);
                            pool.parallelFor(count, (i, w) -> {
                                assertEquals(0, busy.getAndIncrement(w), "worker " + w + " used twice at once");
                                hits.incrementAndGet(i);
                                long until = System.nanoTime() + 20_000; // long enough for iterations to overlap
                                while (System.nanoTime() < until) Thread.onSpinWait();
                                busy.decrementAndGet(w);
                            });
                            for (int i = 0; i < count; i++) assertEquals(1, hits.get(i), "index " + i);
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                t.start();
                ts.add(t);
            }
            start.countDown();
            for (Thread t : ts) t.join(60_000);
            if (failure.get() != null) throw new AssertionError(failure.get());
        }
    }

    /** Helpers spin only briefly after a loop: idle, they must park, not burn a core; close() ends them. */
    @Test
    void idleHelpersParkAndCloseEndsThem() throws Exception {
        WorkerPool pool = new WorkerPool(3);
        pool.parallelFor(100, (i, w) -> { });
        List<Thread> helpers = pool.helperThreads();
        assertEquals(2, helpers.size());
        long deadline = System.nanoTime() + 5_000_000_000L;
        for (Thread t : helpers) {
            while (System.nanoTime() < deadline && t.getState() != Thread.State.WAITING) Thread.sleep(1);
            assertEquals(Thread.State.WAITING, t.getState(), t.getName() + " still running 5 s after its last loop");
        }
        pool.parallelFor(100, (i, w) -> { }); // parked helpers are woken for the next loop
        pool.close();
        for (Thread t : helpers) {
            t.join(10_000);
            assertFalse(t.isAlive(), t.getName() + " outlived close()");
        }
    }
}
