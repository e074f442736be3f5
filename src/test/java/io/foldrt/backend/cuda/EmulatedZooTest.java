package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Backend;
import io.foldrt.emu.Emu;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The zoo networks on the emulated GPU against the CPU backend, through the real planner: BatchNorm kept
 * separate ({@link PlanOptions#unfolded()}) and folded, every conv path (fused, add) with and without a
 * CUDA graph, batch 1 and 2. Each CUDA result is compared with the CPU backend running the same planned
 * graph, within {@link EmulatedGpu#REL_L2} / {@link EmulatedGpu#ELEMENT} (see there).
 *
 * <p>The emulated convolution runs on one host core, so resnet18 and mobilenet_v2 go through the whole
 * matrix at 64x64 (both end in a global average pool, so only the input size changes), and once at their
 * real 224x224 size on the production path (folded, fused, CUDA graph).
 */
@Tag("emulated")
class EmulatedZooTest {
    /** The CUDA configurations of the folded graph: conv path x CUDA graph. */
    private static final List<Map<String, String>> FOLDED_PATHS = List.of(
            Map.of("conv-path", "fused", "cuda-graph", "false"),
            Map.of("conv-path", "fused", "cuda-graph", "true"),
            Map.of("conv-path", "add", "cuda-graph", "false"),
            Map.of("conv-path", "add", "cuda-graph", "true"));

    @Test
    void resnet18() {
        everyPath(withInputSize(ModelZoo.build("resnet18"), 64, 64));
    }

    @Test
    void mobilenetV2() {
        everyPath(withInputSize(ModelZoo.build("mobilenet_v2"), 64, 64));
    }

    @Test
    void alexnetBn() {
        // Its classifier expects 6x6 features, so it runs at its real 224x224 size; with 61M parameters to
        // upload per compile, batch 2 runs on two of the configurations only.
        everyPath(ModelZoo.build("alexnet_bn"), Set.of(FOLDED_PATHS.get(1)));
    }

    @Test
    void stridedCnn() {
        everyPath(ModelZoo.build("strided_cnn"));
    }

    @Test
    void linearBnLinear() {
        everyPath(ModelZoo.build("linear_bn_linear"));
    }

    @Test
    void resnet18AndMobilenetV2AtTheirRealSize() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("conv-path", "fused", "cuda-graph", "true"));
             Backend cpu = EmulatedGpu.cpu()) {
            for (String name : List.of("resnet18", "mobilenet_v2")) {
                Graph folded = Planner.plan(ModelZoo.build(name), PlanOptions.defaults().withProbe(false)).graph();
                var in = EmulatedGpu.inputs(folded, 1, 11);
                try (CudaExecutable e = cuda.compile(folded, 1)) {
                    assertTrue(e.usesCudaGraph(), String.join("\n", e.planReport()));
                    EmulatedGpu.assertAllClose(EmulatedGpu.runOnce(cpu, folded, in, 1), e.run(in), name + " 224x224");
                }
            }
        }
        before.assertRestored();
    }

    /**
     * Separate and folded graphs on every CUDA configuration at batch 1 and 2, each against the CPU backend
     * on the same graph; also checks that the plan did what the configuration asked for.
     */
    private static void everyPath(Graph model) {
        everyPath(model, Set.copyOf(FOLDED_PATHS));
    }

    /** As above, with batch 2 only on the separate graph and the folded configurations in {@code atBatch2}. */
    private static void everyPath(Graph model, Set<Map<String, String>> atBatch2) {
        var before = EmulatedGpu.Snapshot.take();
        Graph separate = Planner.plan(model, PlanOptions.unfolded().withProbe(false)).graph();
        Graph folded = Planner.plan(model, PlanOptions.defaults().withProbe(false)).graph();
        assertTrue(folded.parameterCount() < separate.parameterCount(), model.name() + ": nothing was folded");
        try (Backend cpu = EmulatedGpu.cpu()) {
            for (int batch = 1; batch <= 2; batch++) {
                var in = EmulatedGpu.inputs(model, batch, 100 + batch);
                var wantSeparate = EmulatedGpu.runOnce(cpu, separate, in, batch);
                var wantFolded = EmulatedGpu.runOnce(cpu, folded, in, batch);
                try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
                    EmulatedGpu.assertAllClose(wantSeparate, EmulatedGpu.runOnce(cuda, separate, in, batch),
                            model.name() + " separate, batch " + batch);
                }
                for (Map<String, String> options : FOLDED_PATHS) {
                    if (batch == 2 && !atBatch2.contains(options)) continue;
                    String what = model.name() + " folded " + options + ", batch " + batch;
                    try (CudaBackend cuda = EmulatedGpu.cuda(options); CudaExecutable e = cuda.compile(folded, batch)) {
                        checkPlan(folded, e, options, what);
                        long fusedCalls = Emu.callCount("cudnnConvolutionBiasActivationForward");
                        long graphLaunches = Emu.callCount("cuGraphLaunch");
                        EmulatedGpu.assertAllClose(wantFolded, e.run(in), what);
                        // A pass is one graph launch, or the steps themselves (a replay does not call cuDNN again).
                        assertEquals(e.usesCudaGraph() ? 1 : 0, Emu.callCount("cuGraphLaunch") - graphLaunches, what);
                        if (!e.usesCudaGraph()) {
                            boolean fused = String.join("\n", e.planReport()).contains("BiasActivationForward");
                            assertEquals(fused, Emu.callCount("cudnnConvolutionBiasActivationForward") > fusedCalls,
                                    what + ": the fused call ran exactly when the plan says it is used");
                        }
                    }
                }
            }
        }
        before.assertRestored();
    }

    /**
     * What the plan report must show for the options: a captured graph or none; with conv-path=add no fused
     * call; with conv-path=fused every Conv with bias and ReLU fused, and every Conv left on the add path
     * saying why (never because cuDNN refused the call: the emulator accepts what real cuDNN documents).
     */
    private static void checkPlan(Graph g, CudaExecutable e, Map<String, String> options, String what) {
        String report = String.join("\n", e.planReport());
        boolean graph = Boolean.parseBoolean(options.get("cuda-graph"));
        assertEquals(graph, e.usesCudaGraph(), what + "\n" + report);
        assertTrue(report.contains("cuda-graph=" + (graph ? "captured" : "off")), what + "\n" + report);
        assertFalse(report.contains("refused"), what + ": cuDNN refused a fused call\n" + report);
        boolean add = options.get("conv-path").equals("add");
        for (String line : e.planReport()) {
            if (!line.contains(": cudnnConvolution")) continue;
            if (add) assertFalse(line.contains("BiasActivation"), what + ": " + line);
            else if (line.contains("cudnnAddTensor")) assertTrue(line.contains("[fallback: "), what + ": " + line);
        }
        long reluConvs = g.nodes().stream().filter(n -> n.op() instanceof Op.Conv c && !n.input(2).isEmpty()
                && c.activation().kind() == Activation.Kind.RELU).count();
        long fusedRelu = e.planReport().stream().filter(l -> l.contains("BiasActivationForward RELU")).count();
        assertEquals(add ? 0 : reluConvs, fusedRelu, what + "\n" + report);
    }

    /** {@code g} with its (single, NCHW) input declared at {@code h} x {@code w}. */
    static Graph withInputSize(Graph g, int h, int w) {
        ValueInfo in = g.inputs().getFirst();
        int[] s = in.shape();
        if (s.length != 4 || s[0] != Shapes.BATCH) throw new IllegalArgumentException(g.name() + " input " + in);
        List<ValueInfo> inputs = new ArrayList<>(g.inputs());
        inputs.set(0, new ValueInfo(in.name(), new int[] {Shapes.BATCH, s[1], h, w}));
        Map<String, Tensor> inits = g.initializers();
        return new Graph(g.name() + "@" + h + "x" + w, inputs, g.outputs(), g.nodes(), inits);
    }
}
