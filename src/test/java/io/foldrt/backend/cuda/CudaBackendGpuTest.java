package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.Executable;
import io.foldrt.backend.cuda.driver.DeviceOutOfMemoryException;
import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA backend on a real (or emulated) GPU: every op against the float64 reference, folded against
 * separate for each conv path with and without CUDA graphs, timing, threads, out-of-memory and leaks.
 * Skips with "skipped: reason" where no device is usable. Tolerance: {@link GpuSupport#ATOL} +
 * {@link GpuSupport#RTOL}*|x| (float32, FMA math, tf32 off).
 */
@Tag("gpu")
class CudaBackendGpuTest {

    @Test
    void everyModelMatchesTheReference() {
        try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of())) {
            for (Graph g : TestModelsTest.models()) {
                int[] batches = g.inputs().getFirst().shape()[0] == Shapes.BATCH ? new int[] {1, 3} : new int[] {2};
                for (int batch : batches) {
                    var in = TestModelsTest.inputs(g, batch, 100 + batch);
                    var want = ReferenceInterpreter.run(g, in);
                    try (Executable e = cuda.compile(g, batch)) {
                        var got = e.run(in);
                        for (var w : want.entrySet()) {
                            GpuSupport.assertClose(w.getValue(), got.get(w.getKey()), g.name() + " batch " + batch + " " + w.getKey());
                        }
                    }
                }
            }
        }
    }

    @Test
    void foldedEqualsSeparateEqualsReferenceForEveryConvPath() {
        for (String path : new String[] {"fused", "add"}) {
            for (String graphMode : new String[] {"false", "true"}) {
                try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of("conv-path", path, "cuda-graph", graphMode))) {
                    for (Graph g : new Graph[] {TestModels.convNet(), TestModels.deconvNet()}) {
                        Graph folded = TestFolder.fold(g);
                        var in = TestModelsTest.inputs(g, 2, 7);
                        var want = ReferenceInterpreter.run(g, in);
                        try (CudaExecutable sep = cuda.compile(g, 2); CudaExecutable fold = cuda.compile(folded, 2)) {
                            assertEquals(Boolean.parseBoolean(graphMode), fold.usesCudaGraph(), String.join("\n", fold.planReport()));
                            var a = sep.run(in);
                            var b = fold.run(in);
                            String what = g.name() + " conv-path=" + path + " cuda-graph=" + graphMode;
                            for (var w : want.entrySet()) {
                                GpuSupport.assertClose(w.getValue(), a.get(w.getKey()), what + " separate");
                                GpuSupport.assertClose(w.getValue(), b.get(w.getKey()), what + " folded");
                                GpuSupport.assertClose(a.get(w.getKey()), b.get(w.getKey()), what + " folded vs separate");
                            }
                            String report = String.join("\n", fold.planReport());
                            if (path.equals("fused") && g.name().equals("convnet")) {
                                // fused, unless cuDNN refused it at plan time and the report says so
                                assertTrue(report.contains("cudnnConvolutionBiasActivationForward RELU")
                                        || report.contains("cuDNN refused the fused call"), report);
                            }
                            if (path.equals("add")) assertTrue(!report.contains("cudnnConvolutionBiasActivationForward"), report);
                            System.out.println(what + ":\n  " + String.join("\n  ", fold.planReport()));
                        }
                    }
                }
            }
        }
    }

    @Test
    void agreesWithTheCpuBackendWhenOneIsInstalled() {
        BackendProvider cpu = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.kind().equals("cpu")).findFirst().orElse(null);
        if (cpu == null) {
            System.out.println("skipped: no cpu backend on the classpath (the reference interpreter checks the same)");
            org.junit.jupiter.api.Assumptions.abort("skipped: no cpu backend on the classpath");
        }
        try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of()); Backend host = cpu.open(0, Map.of())) {
            Graph g = TestModels.convNet();
            var in = TestModelsTest.inputs(g, 2, 5);
            try (Executable a = cuda.compile(g, 2); Executable b = host.compile(g, 2)) {
                var x = a.run(in);
                var y = b.run(in);
                for (var e : y.entrySet()) GpuSupport.assertClose(e.getValue(), x.get(e.getKey()), "cuda vs cpu " + e.getKey());
            }
        }
    }

    @Test
    void timesOnTheDeviceAndPerLayer() {
        try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of("cuda-graph", "true"))) {
            Graph g = TestFolder.fold(TestModels.convNet());
            try (CudaExecutable e = cuda.compile(g, 4)) {
                var in = TestModelsTest.inputs(g, 4, 1);
                double[] ms = e.time(in, 3, 10);
                assertEquals(10, ms.length);
                for (double m : ms) assertTrue(m > 0 && m < 10_000, "iteration time " + m);
                assertTrue(e.layerMillis().isEmpty());
                Map<String, Double> layers = e.profileLayers(in, 1, 3);
                assertEquals(layers, e.layerMillis());
                assertTrue(layers.containsKey("conv1"), layers.toString());
                layers.values().forEach(v -> assertTrue(v >= 0));
                System.out.println("convnet folded, batch 4, cuda graph: " + java.util.Arrays.toString(ms) + "\n  " + layers);
            }
        }
    }

    @Test
    void runsFromAnotherThreadAndRejectsBadInputs() throws Exception {
        try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of())) {
            Graph g = TestModels.deconvNet();
            try (CudaExecutable e = cuda.compile(g, 1)) {
                var in = TestModelsTest.inputs(g, 1, 2);
                var want = e.run(in);
                AtomicReference<Map<String, Tensor>> other = new AtomicReference<>();
                AtomicReference<Throwable> error = new AtomicReference<>();
                Thread t = new Thread(() -> {
                    try {
                        other.set(e.run(in)); // a thread that never opened the device: the context is made current
                    } catch (Throwable x) {
                        error.set(x);
                    }
                });
                t.start();
                t.join();
                if (error.get() != null) throw new AssertionError(error.get());
                // close, not equal: a backward-data algorithm may accumulate in a different order each run
                for (var w : want.entrySet()) GpuSupport.assertClose(w.getValue(), other.get().get(w.getKey()), "re-run on another thread");
                var wrong = assertThrows(ModelException.class, () -> e.run(Map.of("x", Tensor.zeros(2, 4, 7, 7))));
                assertTrue(wrong.getMessage().contains("'x'"), wrong.getMessage());
                assertThrows(ModelException.class, () -> e.run(Map.of("z", Tensor.zeros(1, 4, 7, 7))));
            }
        }
    }

    @Test
    void aNodeWithoutAGpuPathIsRefusedByNameOrRunsOnTheHostWhenAllowed() {
        // an alternating 7-dim broadcast does not fit binary_bcast's 6 dims even after merging
        var b = new io.foldrt.ir.GraphBuilder("bcast7", 3);
        String x = b.input("x", 2, 1, 2, 1, 2, 1, 2);
        String c = b.constant("c", Tensor.random(b.rng(), -1, 1, 1, 2, 1, 2, 1, 2, 1));
        b.output(b.relu(b.add(x, c)));
        Graph g = b.build();
        var in = Map.of("x", Tensor.random(new java.util.SplittableRandom(1), -1, 1, 2, 1, 2, 1, 2, 1, 2));
        try (CudaBackend strict = GpuSupport.openOrSkip(Map.of())) {
            var e = assertThrows(ModelException.class, () -> strict.compile(g, 1));
            assertTrue(e.getMessage().startsWith("node 'add1' (Add)"), e.getMessage());
        }
        try (CudaBackend lenient = GpuSupport.openOrSkip(Map.of("allow-cpu-fallback", "true", "cuda-graph", "true"));
             CudaExecutable e = lenient.compile(g, 1)) {
            var want = ReferenceInterpreter.run(g, in);
            var got = e.run(in);
            for (var w : want.entrySet()) GpuSupport.assertClose(w.getValue(), got.get(w.getKey()), "host fallback");
            String report = String.join("\n", e.planReport());
            assertTrue(report.contains("add1: on the host"), report);
            assertTrue(!e.usesCudaGraph(), report);
        }
    }

    @Test
    void nothingLeaksAndOutOfMemoryFreesEverything() {
        Map<String, Long> before = LiveResources.snapshot();
        try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of())) {
            Graph g = TestModels.convNet();
            long perSample = 4L * 16 * 20 * 20 * 8; // a generous lower bound of one sample's activations
            int hugeBatch = (int) Math.min(Integer.MAX_VALUE / (3 * 20 * 20), 4 * cuda.device().totalMemory() / perSample);
            long buffers = LiveResources.count("device-buffer");
            var e = assertThrows(DeviceOutOfMemoryException.class, () -> cuda.compile(g, hugeBatch));
            assertTrue(e.getMessage().contains("everything allocated for it was freed"), e.getMessage());
            assertEquals(buffers, LiveResources.count("device-buffer"));
            try (Executable small = cuda.compile(g, 1)) { // still usable
                small.run(TestModelsTest.inputs(g, 1, 4));
            }
            Executable leftOpen = cuda.compile(TestModels.deconvNet(), 1);
            assertTrue(leftOpen.batch() == 1); // the backend closes it
        }
        assertEquals(before, LiveResources.snapshot(), "native resources still open after close");
    }
}
