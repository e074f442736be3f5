package io.foldrt.backend.cuda.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The caching pool and the ownership scope, on a fake allocator that counts and can run out of memory. */
class DevicePoolTest {

    /** Hands out fake addresses up to a capacity; remembers what is outstanding. */
    static final class FakeAllocator implements DeviceAllocator {
        final long capacity;
        long used, next = 0x7000_0000L;
        final Set<Long> outstanding = new HashSet<>();
        int allocations, frees;
        final java.util.Map<Long, Long> sizes = new java.util.HashMap<>();

        FakeAllocator(long capacity) {
            this.capacity = capacity;
        }

        @Override
        public long allocate(long bytes) {
            if (used + bytes > capacity) throw new DeviceOutOfMemoryException("fake device full", bytes);
            used += bytes;
            long a = next;
            next += bytes;
            outstanding.add(a);
            sizes.put(a, bytes);
            allocations++;
            return a;
        }

        @Override
        public void free(long address) {
            if (!outstanding.remove(address)) throw new AssertionError("double or foreign free of " + address);
            used -= sizes.remove(address);
            frees++;
        }

        @Override
        public long[] memoryInfo() {
            return new long[] {capacity - used, capacity};
        }
    }

    @Test
    void roundsRequestsToGranules() {
        assertEquals(512, DevicePool.roundUp(0));
        assertEquals(512, DevicePool.roundUp(1));
        assertEquals(1024, DevicePool.roundUp(513));
        assertEquals(1 << 20, DevicePool.roundUp(1 << 20));
        assertEquals(2L << 20, DevicePool.roundUp((1 << 20) + 1));
        assertEquals(4L << 20, DevicePool.roundUp((2L << 20) + 1));
    }

    @Test
    void reusesFreedBlocksOfTheSameSize() {
        var fake = new FakeAllocator(1 << 30);
        try (var pool = new DevicePool(fake)) {
            long before = LiveResources.count("device-buffer");
            DeviceBuffer a = pool.allocate(1000, "a");
            long addr = a.address();
            assertEquals(1000, a.bytes());
            assertEquals(before + 1, LiveResources.count("device-buffer"));
            a.close();
            a.close(); // closing twice is harmless
            assertEquals(before, LiveResources.count("device-buffer"));
            assertEquals(1024, pool.cachedBytes());
            DeviceBuffer b = pool.allocate(1024, "b");
            assertEquals(addr, b.address());
            assertEquals(1, fake.allocations);
            DeviceBuffer c = pool.allocate(10, "c");
            assertNotEquals(addr, c.address());
            assertEquals(2, pool.liveBuffers());
            b.close();
            c.close();
        }
        assertTrue(fake.outstanding.isEmpty(), "pool close returns every block");
    }

    @Test
    void outOfMemoryReleasesTheCacheThenNamesThePurpose() {
        var fake = new FakeAllocator(8L << 20);
        try (var pool = new DevicePool(fake)) {
            DeviceBuffer big = pool.allocate(6L << 20, "weights");
            big.close(); // cached, still held from the fake device
            DeviceBuffer other = pool.allocate(4L << 20, "arena"); // needs the cache released first
            assertEquals(1, fake.frees);
            var e = assertThrows(DeviceOutOfMemoryException.class, () -> pool.allocate(6L << 20, "activation arena"));
            assertTrue(e.getMessage().contains("activation arena") && e.getMessage().contains("6.0 MiB")
                    && e.getMessage().contains("4.0 MiB free of 8.0 MiB"), e.getMessage());
            other.close();
        }
        assertTrue(fake.outstanding.isEmpty());
    }

    @Test
    void closingThePoolFreesBuffersLeftOpen() {
        var fake = new FakeAllocator(1 << 30);
        long before = LiveResources.count("device-buffer");
        var pool = new DevicePool(fake);
        DeviceBuffer leaked = pool.allocate(100, "x");
        pool.close();
        assertTrue(fake.outstanding.isEmpty());
        assertEquals(before, LiveResources.count("device-buffer"));
        leaked.close(); // no double free
        assertThrows(IllegalStateException.class, () -> pool.allocate(1, "late"));
    }

    @Test
    void scopeClosesInReverseOrderEvenWhenOneFails() {
        StringBuilder order = new StringBuilder();
        var scope = new Resources();
        scope.add(() -> order.append('a'));
        scope.add(() -> {
            order.append('b');
            throw new IllegalStateException("b failed");
        });
        scope.add(() -> order.append('c'));
        var e = assertThrows(IllegalStateException.class, scope::close);
        assertEquals("cba", order.toString());
        assertEquals("b failed", e.getMessage());
        scope.close(); // idempotent
        assertEquals("cba", order.toString());
    }

    @Test
    void aFailedPlanFreesEverythingItAllocated() {
        var fake = new FakeAllocator(10L << 20);
        try (var pool = new DevicePool(fake)) {
            var scope = new Resources();
            try {
                scope.add(pool.allocate(4L << 20, "weights"));
                scope.add(pool.allocate(4L << 20, "arena"));
                scope.add(pool.allocate(4L << 20, "workspace")); // does not fit
            } catch (DeviceOutOfMemoryException e) {
                scope.close();
            }
            assertEquals(0, pool.liveBuffers());
        }
        assertTrue(fake.outstanding.isEmpty());
    }
}
