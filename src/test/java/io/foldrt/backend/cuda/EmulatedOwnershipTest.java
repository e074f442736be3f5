package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Executable;
import io.foldrt.emu.Emu;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.Session;
import io.foldrt.runtime.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Who owns what on the emulated GPU: after everything is closed the emulator's registry is back where it
 * was (no allocation live, no object left, nothing the driver had to free at context teardown, no misuse
 * reported), also when the backend closes what its user forgot; every entry point works from a thread that
 * never touched the device (the context is made current per thread); timing on the device.
 */
@Tag("emulated")
class EmulatedOwnershipTest {
    private static final Graph FOLDED = Planner.plan(TestModels.convNet(), PlanOptions.defaults().withProbe(false)).graph();

    @Test
    void theBackendClosesWhatItsUserLeftOpen() {
        var before = EmulatedGpu.Snapshot.take();
        CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", "true"));
        CudaExecutable first = cuda.compile(FOLDED, 1);
        CudaExecutable second = cuda.compile(TestModels.deconvNet(), 2);
        second.close();
        second.close(); // idempotent
        cuda.foldEngine();
        assertTrue(Emu.liveAllocations() > 0);
        cuda.close();
        cuda.close();
        before.assertRestored();
        var closed = assertThrows(IllegalStateException.class, () -> first.run(EmulatedGpu.inputs(FOLDED, 1, 1)));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> cuda.compile(FOLDED, 1));
        assertThrows(IllegalStateException.class, cuda::foldEngine);
    }

    @Test
    void runsFromThreadsThatNeverOpenedTheDevice() throws Exception {
        var before = EmulatedGpu.Snapshot.take();
        var in = EmulatedGpu.inputs(FOLDED, 2, 7);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            Map<String, Tensor> here;
            try (CudaExecutable e = cuda.compile(FOLDED, 2)) {
                here = e.run(in);
                // A fresh thread has no current context; run must make the backend's context current on it.
                Future<Map<String, Tensor>> there = pool.submit(() -> {
                    assertFalse(Emu.threadHasContext(), "a new thread starts without a context");
                    Map<String, Tensor> out = e.run(in);
                    assertTrue(Emu.threadHasContext());
                    return out;
                });
                assertSameOutputs(here, there.get(), "run on another thread");
                // Two threads at once on one executable: calls are serialised, each result is whole.
                List<Future<Map<String, Tensor>>> both = new ArrayList<>();
                for (int t = 0; t < 2; t++) both.add(pool.submit(() -> e.run(in)));
                for (var f : both) assertSameOutputs(here, f.get(), "concurrent run");
            }
            // Compile, fold, run and close, each on a thread of its own.
            CudaExecutable compiled = onNewThread(() -> cuda.compile(FOLDED, 2));
            assertSameOutputs(here, onNewThread(() -> compiled.run(in)), "compiled on another thread");
            var jobs = EmulatedFoldEngineTest.jobsOf(TestModels.convNet());
            assertEquals(jobs.size(), onNewThread(() -> cuda.foldEngine().fold(jobs)).size());
            onNewThread(() -> {
                compiled.close();
                return null;
            });
        } finally {
            pool.shutdown();
        }
        before.assertRestored();
    }

    @Test
    void severalThreadsCompileRunTimeAndFoldOnOneBackendAtOnce() throws Exception {
        var before = EmulatedGpu.Snapshot.take();
        List<Graph> models = List.of(FOLDED, Planner.plan(TestModels.deconvNet(), PlanOptions.defaults().withProbe(false)).graph(),
                TestModels.matmulNet(), Planner.plan(EmulatedOpsTest.extras(), PlanOptions.defaults().withProbe(false)).graph());
        var jobs = EmulatedFoldEngineTest.jobsOf(TestModels.convNet());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", "true")); var cpu = EmulatedGpu.cpu()) {
            List<Future<?>> work = new ArrayList<>();
            for (Graph g : models) {
                var in = EmulatedGpu.inputs(g, 2, 9);
                var want = EmulatedGpu.runOnce(cpu, g, in, 2);
                for (int thread = 0; thread < 2; thread++) {
                    work.add(pool.submit(() -> {
                        for (int round = 0; round < 2; round++) {
                            try (CudaExecutable e = cuda.compile(g, 2)) {
                                EmulatedGpu.assertAllClose(want, e.run(in), g.name() + " on a pool thread");
                                e.time(in, 1, 2);
                            }
                            assertEquals(jobs.size(), cuda.foldEngine().fold(jobs).size());
                        }
                        return null;
                    }));
                }
            }
            for (var f : work) f.get();
        } finally {
            pool.shutdown();
        }
        before.assertRestored();
    }

    @Test
    void aSessionOnDeviceCudaOwnsItsBackend() {
        var before = EmulatedGpu.Snapshot.take();
        Model model = Model.of("convnet", FOLDED);
        var in = EmulatedGpu.inputs(FOLDED, 1, 8);
        try (Session s = model.session(Device.cuda(0), SessionOptions.defaults())) {
            assertTrue(s.deviceName().startsWith("cuda:0 NVIDIA H100"), s.deviceName());
            Map<String, Tensor> a = s.run(in);
            assertSameOutputs(a, s.run(in), "second pass of the same session");
        }
        before.assertRestored();
    }

    @Test
    void compilingAgainReusesTheCachedDeviceMemory() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            cuda.compile(FOLDED, 2).close();
            long allocations = Emu.callCount("cuMemAlloc_v2");
            try (CudaExecutable again = cuda.compile(FOLDED, 2)) {
                assertEquals(allocations, Emu.callCount("cuMemAlloc_v2"), "the pool's cached blocks were not reused");
                again.run(EmulatedGpu.inputs(FOLDED, 2, 1));
            }
        }
        before.assertRestored();
    }

    @Test
    void badInputsAreRefusedBeforeAnythingIsQueued() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of()); CudaExecutable e = cuda.compile(FOLDED, 1)) {
            long copies = Emu.callCount("cuMemcpyHtoDAsync_v2");
            var shape = assertThrows(ModelException.class, () -> e.run(Map.of("x", Tensor.zeros(2, 3, 20, 20))));
            assertTrue(shape.getMessage().contains("input 'x' has shape [2, 3, 20, 20]"), shape.getMessage());
            var unknown = assertThrows(ModelException.class, () -> e.run(Map.of("y", Tensor.zeros(1, 3, 20, 20))));
            assertTrue(unknown.getMessage().contains("unknown input 'y'"), unknown.getMessage());
            var missing = assertThrows(ModelException.class, () -> e.run(Map.of()));
            assertTrue(missing.getMessage().contains("missing input 'x'"), missing.getMessage());
            assertEquals(copies, Emu.callCount("cuMemcpyHtoDAsync_v2"), "a copy was queued for a refused call");
        }
        before.assertRestored();
    }

    @Test
    void timesOnTheDeviceAndPerLayer() {
        var before = EmulatedGpu.Snapshot.take();
        for (String graph : List.of("true", "false")) {
            try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", graph)); CudaExecutable e = cuda.compile(FOLDED, 2)) {
                var in = EmulatedGpu.inputs(FOLDED, 2, 3);
                long launches = Emu.callCount("cuGraphLaunch");
                double[] ms = e.time(in, 2, 5);
                assertEquals(5, ms.length);
                for (double m : ms) assertTrue(m > 0 && m < 60_000, "pass time " + m + " ms");
                assertEquals(e.usesCudaGraph() ? 7 : 0, Emu.callCount("cuGraphLaunch") - launches);
                assertTrue(e.layerMillis().isEmpty());
                Map<String, Double> layers = e.profileLayers(in, 1, 2);
                assertEquals(layers, e.layerMillis());
                // every node with device work, in node order; Identity and Flatten (aliases) have none
                List<String> expected = FOLDED.nodes().stream().filter(n -> !BufferPlan.isAlias(n.op()))
                        .map(n -> n.name()).toList();
                assertEquals(expected, List.copyOf(layers.keySet()));
                layers.forEach((node, v) -> assertTrue(v >= 0 && v < 60_000, node + ": " + v));
                // timing leaves the executable usable
                EmulatedGpu.assertAllClose(e.run(in), ((Executable) e).run(in), "after timing");
            }
        }
        before.assertRestored();
    }

    private static <T> T onNewThread(Callable<T> work) throws Exception {
        ExecutorService one = Executors.newSingleThreadExecutor();
        try {
            return one.submit(work).get();
        } finally {
            one.shutdown();
        }
    }

    /** The emulator is deterministic: the same executable on the same inputs gives the same bits. */
    private static void assertSameOutputs(Map<String, Tensor> want, Map<String, Tensor> got, String what) {
        assertEquals(want.keySet(), got.keySet(), what);
        for (var e : want.entrySet()) {
            assertArrayEquals(e.getValue().data(), got.get(e.getKey()).data(), what + ": " + e.getKey());
        }
    }
}
