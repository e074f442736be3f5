package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.emu.Emu;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.CpuFoldEngine;
import io.foldrt.plan.FoldEngine;
import io.foldrt.plan.FoldJob;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.PlanResult;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU fold (one launch of fold_bn for all layers) against {@link CpuFoldEngine} on the fold jobs the real
 * planner makes for every zoo model. Expected: bit-identical results. Both compute
 * {@code (float) (w * (gamma / sqrt(var + eps)))} and {@code (float) ((b - mean) * s + beta)} in float64 with
 * correctly rounded sqrt and division and no fused multiply-add (the emulator builds the kernel with
 * -ffp-contract=off, the PTX is built with -fmad=false), so any difference, even of one ulp, is a bug.
 */
@Tag("emulated")
class EmulatedFoldEngineTest {

    @Test
    void everyZooModelFoldsBitForBitAsOnTheHostInOneLaunch() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            CudaFoldEngine gpu = cuda.foldEngine();
            assertTrue(gpu.name().startsWith("cuda kernel fold_bn (NVIDIA H100"), gpu.name());
            for (String name : ModelZoo.names()) {
                List<FoldJob> jobs = jobsOf(ModelZoo.build(name));
                assertFalse(jobs.isEmpty(), name + " has nothing to fold");
                long kernels = Emu.callCount("kernel:fold_bn"), launches = Emu.callCount("cuLaunchKernel");
                List<FoldJob.Result> got = gpu.fold(jobs);
                assertEquals(1, Emu.callCount("kernel:fold_bn") - kernels, name + ": fold_bn runs once for all layers");
                assertEquals(1, Emu.callCount("cuLaunchKernel") - launches, name + ": one launch");
                assertBitIdentical(new CpuFoldEngine().fold(jobs), got, name);
            }
        }
        before.assertRestored();
    }

    @Test
    void plannerWithTheGpuEngineGivesTheCpuPlannersWeights() {
        var before = EmulatedGpu.Snapshot.take();
        Graph model = ModelZoo.build("mobilenet_v2");
        PlanResult onCpu = Planner.plan(model, PlanOptions.defaults().withProbe(false));
        try (CudaFoldEngine standalone = CudaFoldEngine.open(0)) {
            PlanResult onGpu = Planner.plan(model, PlanOptions.defaults().withProbe(false).withEngine(standalone));
            assertEquals(standalone.name(), onGpu.report().engineName());
            assertEquals(onCpu.graph().initializers().keySet(), onGpu.graph().initializers().keySet());
            for (var e : onCpu.graph().initializers().entrySet()) {
                Tensor g = onGpu.graph().initializers().get(e.getKey());
                assertArrayEquals(e.getValue().shape(), g.shape(), e.getKey());
                assertArrayEquals(e.getValue().data(), g.data(), e.getKey() + " differs between the engines");
            }
        }
        before.assertRestored();
    }

    @Test
    void refusesBadStatisticsBeforeTouchingTheDevice() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaFoldEngine engine = CudaFoldEngine.open(0)) {
            FoldJob ok = jobsOf(ModelZoo.build("linear_bn_linear")).getFirst();
            float[] var = ok.var().data().clone();
            var[3] = -1f;
            FoldJob bad = new FoldJob(ok.layer(), ok.weight(), ok.bias(), ok.layout(), ok.gamma(), ok.beta(), ok.mean(),
                    new Tensor(ok.var().shape(), var), ok.epsilon());
            long allocations = Emu.callCount("cuMemAlloc_v2");
            var e = assertThrows(ModelException.class, () -> engine.fold(List.of(ok, bad)));
            assertTrue(e.getMessage().contains("'" + ok.layer() + "'") && e.getMessage().contains("channel 3"), e.getMessage());
            assertEquals(allocations, Emu.callCount("cuMemAlloc_v2"), "the device was touched");
            long kernels = Emu.callCount("kernel:fold_bn");
            assertTrue(engine.fold(List.of()).isEmpty());
            assertEquals(kernels, Emu.callCount("kernel:fold_bn"), "nothing to fold launches nothing");
        }
        before.assertRestored();
    }

    @Test
    void aClosedEngineRefusesWork() {
        var before = EmulatedGpu.Snapshot.take();
        CudaFoldEngine engine = CudaFoldEngine.open(0);
        engine.close();
        engine.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> engine.fold(List.of()));
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            cuda.foldEngine(); // owned by the backend, closed with it
        }
        before.assertRestored();
    }

    /** The jobs the planner hands to its engine for {@code model} (computed here by the CPU engine). */
    static List<FoldJob> jobsOf(Graph model) {
        List<FoldJob> seen = new ArrayList<>();
        FoldEngine recorder = new FoldEngine() {
            @Override
            public String name() {
                return "recording cpu";
            }

            @Override
            public List<FoldJob.Result> fold(List<FoldJob> jobs) {
                seen.addAll(jobs);
                return new CpuFoldEngine().fold(jobs);
            }
        };
        Planner.plan(model, PlanOptions.defaults().withProbe(false).withEngine(recorder));
        return seen;
    }

    private static void assertBitIdentical(List<FoldJob.Result> want, List<FoldJob.Result> got, String model) {
        assertEquals(want.size(), got.size(), model);
        for (int l = 0; l < want.size(); l++) {
            assertBits(want.get(l).weight(), got.get(l).weight(), model + " layer " + l + " weight");
            assertBits(want.get(l).bias(), got.get(l).bias(), model + " layer " + l + " bias");
        }
    }

    private static void assertBits(Tensor want, Tensor got, String what) {
        assertArrayEquals(want.shape(), got.shape(), what + " shape");
        float[] w = want.data(), g = got.data();
        for (int i = 0; i < w.length; i++) {
            if (Float.floatToRawIntBits(w[i]) != Float.floatToRawIntBits(g[i])) {
                throw new AssertionError(what + "[" + i + "]: " + g[i] + " on the GPU, " + w[i] + " on the host ("
                        + Math.abs(g[i] - w[i]) / Math.ulp(w[i]) + " ulp)");
            }
        }
    }
}
