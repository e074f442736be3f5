package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What callers rely on: input validation, output ownership, the provider and resource lifetime. */
class RunContractTest {

    private static Graph tiny() {
        var b = new GraphBuilder("tiny", 1);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        b.output(b.relu(b.batchNorm(b.conv(x, 4, 3, 1, 1))));
        return b.build();
    }

    private static Tensor input(int... shape) {
        return Tensor.random(new SplittableRandom(4), -1f, 1f, shape);
    }

    @Test
    void badInputsAreOneLineModelExceptionsNamingInputAndShape() {
        try (CpuBackend cpu = new CpuBackend(2); CpuExecutable exe = cpu.compile(tiny(), 2)) {
            var missing = assertThrows(ModelException.class, () -> exe.run(Map.of()));
            assertEquals("missing input 'x': expected a tensor of shape [2,3,6,6]", missing.getMessage());

            var wrong = assertThrows(ModelException.class, () -> exe.run(Map.of("x", input(1, 3, 6, 6))));
            assertEquals("input 'x' has shape [1,3,6,6], expected [2,3,6,6] (compiled for batch 2)", wrong.getMessage());

            var unknown = assertThrows(ModelException.class,
                    () -> exe.run(Map.of("x", input(2, 3, 6, 6), "y", input(1))));
            assertEquals("unknown input 'y' for model 'tiny'; its inputs are x[2,3,6,6]", unknown.getMessage());

            for (var e : new Exception[] {missing, wrong, unknown}) assertFalse(e.getMessage().contains("\n"));
        }
    }

    @Test
    void inputsAreNotWrittenAndOutputsBelongToTheCaller() {
        try (CpuBackend cpu = new CpuBackend(2); CpuExecutable exe = cpu.compile(tiny(), 1)) {
            Tensor x = input(1, 3, 6, 6);
            float[] before = x.data().clone();
            Tensor first = exe.run(Map.of("x", x)).values().iterator().next();
            assertArrayEquals(before, x.data(), "input was modified");
            float[] kept = first.data().clone();
            Tensor second = exe.run(Map.of("x", x)).values().iterator().next();
            assertNotSame(first.data(), second.data());
            assertArrayEquals(kept, first.data(), "a later run changed an output the caller owns");
        }
    }

    @Test
    void compiledModelsKeepTheirOwnCopyOfTheWeights() {
        var d = new GraphBuilder("deconv", 2);
        String x = d.input("x", Shapes.BATCH, 4, 5, 5);
        d.output(d.add(d.convTranspose(x, 4, 3, io.foldrt.ir.Hw.of(2), io.foldrt.ir.Pads.of(1), io.foldrt.ir.Hw.ONE, 2,
                true), d.constant("shift", Tensor.random(new SplittableRandom(1), -1f, 1f, 1, 4, 1, 1))));
        for (Graph g : new Graph[] {NetworkTest.residualNet(), NetworkTest.mobileNet(), d.build()}) {
            Map<String, Tensor> in = Oracle.inputs(g, 1, 3);
            try (CpuBackend cpu = new CpuBackend(2); CpuExecutable exe = cpu.compile(g, 1)) {
                var before = exe.run(in);
                for (Tensor t : g.initializers().values()) java.util.Arrays.fill(t.data(), Float.NaN);
                var after = exe.run(in);
                for (String name : before.keySet()) {
                    assertArrayEquals(before.get(name).data(), after.get(name).data(), g.name() + ":" + name);
                }
            }
        }
    }

    @Test
    void graphOutputsThatAreInputsOrSharedViewsAreCopies() {
        var b = new GraphBuilder("views", 1);
        String x = b.input("x", 2, 3);
        String r = b.relu(x);
        b.output(x);
        b.output(r);
        b.output(b.flatten(r)); // same array as r underneath
        try (CpuBackend cpu = new CpuBackend(1); CpuExecutable exe = cpu.compile(b.build(), 2)) {
            Tensor in = input(2, 3);
            var out = exe.run(Map.of("x", in));
            var arrays = out.values().stream().map(Tensor::data).toList();
            assertNotSame(in.data(), arrays.get(0));
            assertNotSame(arrays.get(1), arrays.get(2));
            assertArrayEquals(arrays.get(1), arrays.get(2));
        }
    }

    @Test
    void providerIsRegisteredAndParsesThreads() {
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.kind().equals("cpu")).findFirst().orElseThrow();
        try (Backend b = provider.open(0, Map.of("threads", "3", "kernel", "loops"))) {
            assertEquals("cpu (3 threads, loops kernel)", b.name());
        }
        try (Backend b = provider.open(0, Map.of())) {
            assertEquals(Runtime.getRuntime().availableProcessors(), ((CpuBackend) b).threads());
        }
        assertThrows(ModelException.class, () -> provider.open(0, Map.of("threads", "0")));
        assertThrows(ModelException.class, () -> provider.open(0, Map.of("threads", "many")));
        assertThrows(ModelException.class, () -> provider.open(0, Map.of("thread", "2")));
        assertThrows(BackendUnavailableException.class, () -> provider.open(1, Map.of()));
    }

    @Test
    void closingTheBackendStopsItsWorkersAndItsExecutables() throws InterruptedException {
        Set<Thread> before = workerThreads();
        CpuBackend cpu = new CpuBackend(3);
        CpuExecutable exe = cpu.compile(tiny(), 1);
        exe.run(Map.of("x", input(1, 3, 6, 6)));
        cpu.pool().parallelFor(64, (i, w) -> { }); // tiny graphs run inline; make sure helpers were started
        assertTrue(workerThreads().size() > before.size());
        cpu.close();
        for (int i = 0; i < 100 && !before.containsAll(workerThreads()); i++) Thread.sleep(10);
        assertTrue(before.containsAll(workerThreads()), "worker threads still alive after close");
        assertThrows(IllegalStateException.class, () -> exe.run(Map.of("x", input(1, 3, 6, 6))));
        assertThrows(IllegalStateException.class, () -> cpu.compile(tiny(), 1));
        cpu.close(); // idempotent
    }

    @Test
    void runtimeWeightsAreRejectedAtCompileTime() {
        var b = new GraphBuilder("rw", 1);
        String x = b.input("x", 1, 2, 4, 4);
        String w = b.input("w", 3, 2, 1, 1);
        b.output(b.node("c", new io.foldrt.ir.Op.Conv(io.foldrt.ir.Hw.ONE, io.foldrt.ir.Pads.NONE, io.foldrt.ir.Hw.ONE,
                1, io.foldrt.ir.Activation.NONE), java.util.List.of(x, w), java.util.List.of("y")));
        try (CpuBackend cpu = new CpuBackend(1)) {
            var e = assertThrows(ModelException.class, () -> cpu.compile(b.build(), 1));
            assertTrue(e.getMessage().startsWith("node 'c' (Conv): weights 'w' must be an initializer"), e.getMessage());
        }
    }

    private static Set<Thread> workerThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("foldrt-cpu-") && t.isAlive()).collect(Collectors.toSet());
    }
}
