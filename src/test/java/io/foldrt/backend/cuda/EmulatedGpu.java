package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.Executable;
import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.emu.Emu;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.SplittableRandom;

/**
 * Shared by the tests tagged "emulated": opens backends the way the runtime does (ServiceLoader, by kind),
 * takes the emulator's ownership snapshot and checks that closing everything returns to it, and compares
 * outputs with a stated tolerance.
 *
 * <p>Tolerance of {@link #assertClose}: relative L2 error {@code ||got - want|| / ||want||} at most
 * {@link #REL_L2}, and every element within {@link #ELEMENT} * max|want|. Both are float32 results of
 * differently ordered sums (the CPU backend's blocked SGEMM vs the emulator's direct loops; float64 for the
 * reference interpreter). The largest errors measured over the whole emulated suite were 7.8e-6 relative L2
 * and 9.1e-6 * max|want| per element (mobilenet_v2's logits), so the limits were set beforehand from the
 * brief, not tuned: about 13x and 100x above what float32 reordering gives here. NaN or infinity anywhere
 * fails (fresh emulated device memory reads as NaN, so an unwritten output cannot pass).
 */
final class EmulatedGpu {
    static final double REL_L2 = 1e-4, ELEMENT = 1e-3;

    private EmulatedGpu() {}

    /** The provider of {@code kind} found through {@link ServiceLoader}, as the runtime finds it. */
    static BackendProvider provider(String kind) {
        return ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.kind().equals(kind)).findFirst()
                .orElseThrow(() -> new AssertionError("no backend provider of kind " + kind));
    }

    /** The CUDA backend on the emulated device 0. */
    static CudaBackend cuda(Map<String, String> options) {
        return (CudaBackend) provider("cuda").open(0, options);
    }

    static Backend cpu() {
        return provider("cpu").open(0, Map.of());
    }

    /**
     * What the emulator and the backend's own counters say is open, and how much misuse was seen so far. Take
     * one before a test opens anything; {@link #assertRestored} after it closed everything.
     */
    record Snapshot(int liveObjects, long contextFreed, int errors, Map<String, Long> javaSide) {
        static Snapshot take() {
            return new Snapshot(Emu.liveCount(null), Emu.contextFreedAllocations(), Emu.errorCount(),
                    LiveResources.snapshot());
        }

        /** No allocation live, no object more than before, nothing freed by a context teardown, no misuse. */
        void assertRestored() {
            String last = Emu.errorCount() != errors ? " (last emulator error: " + Emu.lastError() + ")" : "";
            assertEquals(errors, Emu.errorCount(), "misuse reported by the emulator" + last);
            assertEquals(0, Emu.liveAllocations(), "device/pinned allocations still live");
            assertEquals(liveObjects, Emu.liveCount(null), "emulator objects still live");
            assertEquals(contextFreed, Emu.contextFreedAllocations(),
                    "allocations the driver had to free at context destruction (leaked by the program)");
            assertEquals(javaSide, LiveResources.snapshot(), "LiveResources counts");
        }
    }

    /** The float64 reference interpreter's outputs, rounded to float32 for {@link #assertAllClose}. */
    static Map<String, Tensor> reference(Graph g, Map<String, Tensor> inputs) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (var e : ReferenceInterpreter.run(g, inputs).entrySet()) {
            if (!g.isGraphOutput(e.getKey())) continue;
            double[] d = e.getValue().data();
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
            out.put(e.getKey(), new Tensor(e.getValue().shape(), f));
        }
        return out;
    }

    /** A forward pass on a backend, the executable closed again. */
    static Map<String, Tensor> runOnce(Backend backend, Graph g, Map<String, Tensor> inputs, int batch) {
        try (Executable e = backend.compile(g, batch)) {
            return e.run(inputs);
        }
    }

    /** Seeded uniform [-1, 1) inputs for every non-initializer input of {@code g} at {@code batch}. */
    static Map<String, Tensor> inputs(Graph g, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (ValueInfo v : g.inputs()) {
            if (g.initializers().containsKey(v.name())) continue;
            int[] s = v.shape().clone();
            if (s.length > 0 && s[0] == Shapes.BATCH) s[0] = batch;
            in.put(v.name(), Tensor.random(rng, -1, 1, s));
        }
        return in;
    }

    /** Every output of {@code want} is present in {@code got} and close to it (see the class comment). */
    static void assertAllClose(Map<String, Tensor> want, Map<String, Tensor> got, String what) {
        assertEquals(want.keySet(), got.keySet(), what + ": output names");
        for (var e : want.entrySet()) assertClose(e.getValue(), got.get(e.getKey()), what + " " + e.getKey());
    }

    static void assertClose(Tensor want, Tensor got, String what) {
        if (!java.util.Arrays.equals(want.shape(), got.shape())) {
            fail(what + ": shape " + Shapes.str(got.shape()) + ", expected " + Shapes.str(want.shape()));
        }
        float[] w = want.data(), g = got.data();
        double maxAbs = 0, diff2 = 0, ref2 = 0;
        for (int i = 0; i < w.length; i++) {
            if (!Float.isFinite(w[i])) fail(what + ": the expected value " + i + " is " + w[i]);
            if (!Float.isFinite(g[i])) fail(what + ": element " + i + " is " + g[i] + ", expected " + w[i]);
            maxAbs = Math.max(maxAbs, Math.abs(w[i]));
            double d = (double) g[i] - w[i];
            diff2 += d * d;
            ref2 += (double) w[i] * w[i];
        }
        double relL2 = ref2 == 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2);
        if (!(relL2 <= REL_L2)) fail(what + ": relative L2 error " + relL2 + " > " + REL_L2);
        double allowed = ELEMENT * maxAbs;
        for (int i = 0; i < w.length; i++) {
            if (!(Math.abs((double) g[i] - w[i]) <= allowed)) {
                fail(what + ": element " + i + " is " + g[i] + ", expected " + w[i] + " (allowed " + allowed
                        + " = " + ELEMENT + " * max|expected|)");
            }
        }
    }
}
