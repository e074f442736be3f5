package io.foldrt.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import io.foldrt.testing.TestModels;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SessionTest {
    private final ReferenceProvider cpu = new ReferenceProvider("cpu");
    private final List<String> notices = new ArrayList<>();
    private final SessionOptions options = SessionOptions.defaults()
            .withOpener((d, o, n) -> Backends.open(List.of(cpu), d, o, n))
            .withNotices(notices::add);

    private Session open(Graph g, SessionOptions o) {
        return Model.of(g.name(), g, new FakeModelTools()).session(Device.cpu(), o);
    }

    private static Tensor input(long seed, int batch) {
        return Tensor.random(new SplittableRandom(seed), -1f, 1f, batch, 3, 8, 8);
    }

    private static float[] expected(Graph g, Tensor x) {
        double[] d = ReferenceInterpreter.run(g, Map.of("x", x)).values().iterator().next().data();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Test
    void runsAndCompilesOncePerBatchSize() {
        Graph g = TestModels.tinyCnn();
        try (Session s = open(g, options)) {
            assertEquals("reference cpu", s.deviceName());
            for (int batch : new int[] {1, 3, 1, 3, 1}) {
                Tensor x = input(batch, batch);
                Map<String, Tensor> out = s.run(Map.of("x", x));
                assertEquals(List.of(g.outputs().get(0).name()), List.copyOf(out.keySet()));
                assertArrayEquals(new int[] {batch, 5}, out.values().iterator().next().shape());
                assertArrayEquals(expected(g, x), out.values().iterator().next().data());
            }
            assertEquals(2, cpu.compiles.get());
        }
    }

    @Test
    void outputsAreTheCallersOwnCopies() {
        // The fake backend reuses its output buffers: without a copy, the first result would change.
        try (Session s = open(TestModels.tinyCnn(), options)) {
            Tensor first = s.run(Map.of("x", input(1, 1))).values().iterator().next();
            float[] snapshot = first.data().clone();
            s.run(Map.of("x", input(2, 1)));
            assertArrayEquals(snapshot, first.data());
        }
    }

    @Test
    void validatesInputsInOneLine() {
        Graph two = TestModels.twoInputs();
        try (Session s = open(two, options)) {
            Tensor ok = Tensor.zeros(2, 4);
            assertMessage("unknown input 'c' (model inputs: a[N,4], b[N,4])",
                    () -> s.run(Map.of("a", ok, "b", ok, "c", ok)));
            assertMessage("input 'b' is missing (model inputs: a[N,4], b[N,4])", () -> s.run(Map.of("a", ok)));
            Map<String, Tensor> withNull = new HashMap<>(Map.of("a", ok));
            withNull.put("b", null);
            assertMessage("input 'b' is null (model inputs: a[N,4], b[N,4])", () -> s.run(withNull));
            assertMessage("input 'a': expected [N,4], got [4]", () -> s.run(Map.of("a", Tensor.zeros(4), "b", ok)));
            assertMessage("input 'a': expected [N,4], got [2,5]", () -> s.run(Map.of("a", Tensor.zeros(2, 5), "b", ok)));
            assertMessage("input 'a': expected [N,4], got [0,4]", () -> s.run(Map.of("a", Tensor.zeros(0, 4), "b", ok)));
            assertMessage("input 'b' has batch size 3 but input 'a' has 2",
                    () -> s.run(Map.of("a", ok, "b", Tensor.zeros(3, 4))));
            assertEquals(0, cpu.compiles.get(), "nothing reaches the backend before the inputs are valid");
            assertEquals(2, s.run(Map.of("a", ok, "b", ok)).size());
        }
    }

    @Test
    void keepsOnlyTheMostRecentlyUsedBatchSizes() {
        try (Session s = open(TestModels.tinyCnn(), options.withMaxCachedBatchSizes(2))) {
            s.prepare(1);
            s.prepare(2);
            s.run(Map.of("x", input(0, 1))); // 1 is now the most recent
            s.prepare(3);                     // evicts 2
            assertEquals(1, cpu.executablesClosed.get());
            s.run(Map.of("x", input(0, 1)));
            assertEquals(3, cpu.compiles.get(), "batch 1 is still cached");
            s.run(Map.of("x", input(0, 2)));
            assertEquals(4, cpu.compiles.get(), "batch 2 was evicted and compiles again");
        }
        assertEquals(cpu.compiles.get(), cpu.executablesClosed.get());
    }

    @Test
    void closeFreesEverythingAndLaterCallsFail() {
        Session s = open(TestModels.tinyCnn(), options);
        s.run(Map.of("x", input(0, 1)));
        s.run(Map.of("x", input(0, 4)));
        // conv, bn, relu [4,4,8,8]; pool, flatten [4,4]; fc [4,5] (the fake's figure: every node output, float32)
        assertEquals(OptionalLong.of(4L * (3 * (4 * 4 * 8 * 8) + 4 * 4 + 4 * 4 + 4 * 5)), s.plannedActivationBytes(4));
        s.close();
        assertEquals(2, cpu.executablesClosed.get());
        assertEquals(1, cpu.backendsClosed.get());
        s.close(); // idempotent
        assertEquals(1, cpu.backendsClosed.get());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.run(Map.of("x", input(0, 1))));
        assertEquals("session of model 'tiny_cnn' on reference cpu is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> s.prepare(1));
    }

    @Test
    void concurrentCallersAreSerializedAndEachGetsItsOwnResult() throws Exception {
        Graph g = TestModels.tinyCnn();
        cpu.passDelayMillis = 2; // make overlap likely if the session did not serialize
        int threads = 8, callsEach = 10;
        Tensor[][] in = new Tensor[threads][callsEach];
        float[][][] want = new float[threads][callsEach][];
        for (int t = 0; t < threads; t++) {
            for (int c = 0; c < callsEach; c++) {
                in[t][c] = input(100L * t + c, 1 + (t + c) % 3); // three batch sizes, compiled concurrently
                want[t][c] = expected(g, in[t][c]);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (Session s = open(g, options)) {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int tt = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int c = 0; c < callsEach; c++) {
                        Tensor out = s.run(Map.of("x", in[tt][c])).values().iterator().next();
                        assertArrayEquals(want[tt][c], out.data(), "thread " + tt + " call " + c);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) f.get(60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        assertEquals(threads * callsEach, cpu.runs.get());
        assertEquals(1, cpu.maxConcurrentRuns.get(), "passes must not overlap");
        assertEquals(0, cpu.closedDuringPass.get());
        assertEquals(3, cpu.compiles.get(), "each batch size compiles once even under contention");
    }

    @Test
    void closeWaitsForTheRunningPass() throws Exception {
        Graph g = TestModels.tinyCnn();
        cpu.passDelayMillis = 300;
        Session s = open(g, options);
        s.prepare(1);
        Tensor x = input(5, 1);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<Map<String, Tensor>> running = pool.submit(() -> s.run(Map.of("x", x)));
            while (cpu.runs.get() == 0) Thread.sleep(1); // the pass has started
            s.close();
            assertEquals(0, cpu.closedDuringPass.get(), "close freed the executable under a running pass");
            assertEquals(1, cpu.executablesClosed.get());
            assertEquals(1, cpu.backendsClosed.get());
            assertArrayEquals(expected(g, x), running.get().values().iterator().next().data());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void deviceUnavailableSurfacesFromSession() {
        Model m = Model.of("tiny_cnn", TestModels.tinyCnn(), new FakeModelTools());
        assertThrows(io.foldrt.backend.BackendUnavailableException.class, () -> m.session(Device.cuda(0), options));
    }

    private static void assertMessage(String expected, Runnable r) {
        assertEquals(expected, assertThrows(ModelException.class, r::run).getMessage());
    }
}
