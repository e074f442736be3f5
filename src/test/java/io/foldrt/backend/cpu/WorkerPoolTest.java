package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
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
}
