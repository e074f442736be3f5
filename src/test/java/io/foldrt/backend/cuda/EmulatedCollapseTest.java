package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.emu.Emu;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.nativebind.CublasException;
import io.foldrt.plan.CpuFoldEngine;
import io.foldrt.plan.FoldEngine;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.PlanResult;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Linear→BN→Linear collapse with the CUDA fold engine multiplies the weights with cublasDgemm_v2 and
 * gives the CPU planner's weights. Stated tolerance of {@link CudaFoldEngine#multiply} against the host
 * float64 product, per element: one float32 ulp of the host value plus K·2⁻⁵² of the sum of |terms| (a real
 * GPU may sum the float64 terms in another order, with fused multiply-adds, which moves the float64 sum by
 * less than that before the single rounding to float32). The emulator's DGEMM sums in the host's order, so
 * planning is asserted bit for bit, which also catches a wrong operand layout at once.
 */
@Tag("emulated")
class EmulatedCollapseTest {

    @Test
    void linearBnLinearCollapsesOnTheDeviceToTheHostWeights() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            assertSameCollapse(ModelZoo.build("linear_bn_linear"), cuda.foldEngine());
        }
        before.assertRestored();
    }

    @Test
    void everyTransposeOfTheTwoWeightsCollapsesAlike() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            for (boolean t1 : new boolean[] {false, true}) {
                for (boolean t2 : new boolean[] {false, true}) assertSameCollapse(chain(t1, t2), cuda.foldEngine());
            }
        }
        before.assertRestored();
    }

    @Test
    void aStandAloneEngineLoadsCublasForTheProduct() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaFoldEngine engine = CudaFoldEngine.open(0)) {
            assertSameCollapse(chain(false, true), engine);
        }
        before.assertRestored();
    }

    @Test
    void aFailingDgemmIsOneLineNamingTheCallAndLeaksNothing() {
        var before = EmulatedGpu.Snapshot.take();
        Graph model = ModelZoo.build("linear_bn_linear");
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            CudaFoldEngine engine = cuda.foldEngine();
            var opened = LiveResources.snapshot();
            Emu.fault("cublasDgemm_v2", 1, 14, false); // CUBLAS_STATUS_INTERNAL_ERROR
            try {
                var e = assertThrows(CublasException.class, () -> plan(model, engine));
                String m = e.getMessage();
                assertFalse(m.contains("\n"), m);
                assertTrue(m.contains("cublasDgemm_v2"), m);
            } finally {
                Emu.clearFaults();
            }
            assertEquals(opened, LiveResources.snapshot(), "handle, stream or buffers still open after the failure");
            assertSameCollapse(model, engine); // the engine still works
        }
        before.assertRestored();
    }

    /** x[B, 24] → Gemm(transB t1, alpha 0.5, bias) → BN → Gemm(transB t2, alpha 2, bias) → [B, 8]. */
    private static Graph chain(boolean t1, boolean t2) {
        var b = new GraphBuilder("chain_" + t1 + "_" + t2, 11);
        String x = b.input("x", Shapes.BATCH, 24);
        String w1 = b.constant("w1", t1 ? b.gaussian(0.2, 32, 24) : b.gaussian(0.2, 24, 32));
        String c1 = b.constant("c1", b.gaussian(0.1, 32));
        String y = b.node("fc1", new Op.Gemm(0.5f, 1f, false, t1, Activation.NONE), List.of(x, w1, c1), List.of("y"));
        String w2 = b.constant("w2", t2 ? b.gaussian(0.2, 8, 32) : b.gaussian(0.2, 32, 8));
        String c2 = b.constant("c2", b.gaussian(0.1, 8));
        b.output(b.node("fc2", new Op.Gemm(2f, 1f, false, t2, Activation.NONE), List.of(b.batchNorm(y), w2, c2),
                List.of("z")));
        return b.build();
    }

    private static PlanResult plan(Graph g, FoldEngine engine) {
        return Planner.plan(g, PlanOptions.defaults().withProbe(false).withEngine(engine));
    }

    /** Plans {@code g} on the host and with {@code gpu}; one collapse, one DGEMM, the same weights. */
    private static void assertSameCollapse(Graph g, CudaFoldEngine gpu) {
        PlanResult onCpu = Planner.plan(g, PlanOptions.defaults().withProbe(false));
        long dgemms = Emu.callCount("cublasDgemm_v2");
        PlanResult onGpu = plan(g, gpu);
        assertEquals(1, Emu.callCount("cublasDgemm_v2") - dgemms, g.name() + ": the product ran with cuBLAS once");
        assertNotNull(onGpu.report().entries().getFirst().mergedInto(), g.name() + " did not collapse");
        assertEquals(onCpu.graph().initializers().keySet(), onGpu.graph().initializers().keySet(), g.name());
        for (var e : onCpu.graph().initializers().entrySet()) {
            Tensor want = e.getValue(), got = onGpu.graph().initializers().get(e.getKey());
            assertArrayEquals(want.shape(), got.shape(), e.getKey());
            assertArrayEquals(want.data(), got.data(), g.name() + " " + e.getKey() + " differs between the engines");
        }
    }

    @Test
    void theProductIsTheHostProductWithinTheStatedTolerance() {
        var before = EmulatedGpu.Snapshot.take();
        var rng = new SplittableRandom(5);
        FoldEngine host = new CpuFoldEngine();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            CudaFoldEngine gpu = cuda.foldEngine();
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    int m = 7, k = 45, n = 13;
                    Tensor a = ta ? Tensor.random(rng, -3f, 3f, k, m) : Tensor.random(rng, -3f, 3f, m, k);
                    Tensor b = tb ? Tensor.random(rng, -3f, 3f, n, k) : Tensor.random(rng, -3f, 3f, k, n);
                    Tensor want = host.multiply(a, ta, b, tb, -0.75), got = gpu.multiply(a, ta, b, tb, -0.75);
                    Tensor terms = host.multiply(abs(a), ta, abs(b), tb, 0.75); // sum of |terms| per element
                    assertArrayEquals(new int[] {m, n}, got.shape());
                    double worst = 0;
                    for (int i = 0; i < m * n; i++) {
                        double d = Math.abs(got.data()[i] - want.data()[i]);
                        double tol = Math.ulp(want.data()[i]) + k * Math.ulp(1.0) * terms.data()[i];
                        assertTrue(d <= tol, "element " + i + " off by " + d + " (tolerance " + tol + ")");
                        worst = Math.max(worst, d);
                    }
                    assertEquals(0.0, worst, "transA " + ta + " transB " + tb + ": the emulator sums in the host's order");
                }
            }
            assertThrows(IllegalArgumentException.class,
                    () -> gpu.multiply(Tensor.zeros(2, 3), false, Tensor.zeros(2, 3), false, 1));
        }
        before.assertRestored();
    }

    private static Tensor abs(Tensor t) {
        float[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) d[i] = Math.abs(d[i]);
        return new Tensor(t.shape(), d);
    }
}
