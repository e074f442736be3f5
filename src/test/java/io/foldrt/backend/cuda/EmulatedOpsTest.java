package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Backend;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Small GraphBuilder models that together reach every lowering of the backend - grouped and depthwise
 * convolutions with asymmetric pads, ConvTranspose with groups, output padding and crops, Gemm and MatMul
 * variants, max/average/global pooling, softmax, concat, broadcast add and mul, sigmoid, clip, aliases -
 * separate and folded, on every conv path, with and without a CUDA graph, with cuDNN's heuristics and TF32
 * too, batch 1 and 2. Each result must match both the float64 reference interpreter and the CPU backend
 * within {@link EmulatedGpu#REL_L2} / {@link EmulatedGpu#ELEMENT}.
 */
@Tag("emulated")
class EmulatedOpsTest {
    private static final List<Map<String, String>> CONFIGS = List.of(
            Map.of(),
            Map.of("conv-path", "add"),
            Map.of("conv-path", "fused", "cuda-graph", "true"),
            Map.of("conv-path", "add", "cuda-graph", "true"),
            Map.of("conv-algo", "heuristic", "tf32", "true"));

    @Test
    void convolutionsPoolingConcatSoftmax() {
        everyConfig(TestModels.convNet());
    }

    @Test
    void transposedConvolutionsGateAndClip() {
        everyConfig(TestModels.deconvNet());
    }

    @Test
    void matMulAndGemmVariants() {
        everyConfig(TestModels.matmulNet());
    }

    @Test
    void unfusableActivationsPoolingVariantsAndBroadcasts() {
        everyConfig(extras());
    }

    @Test
    void aNodeWithoutAGpuPathIsRefusedByNameOrRunsOnTheHost() {
        var before = EmulatedGpu.Snapshot.take();
        Graph g = sevenDimBroadcast();
        var in = EmulatedGpu.inputs(g, 1, 3);
        try (CudaBackend strict = EmulatedGpu.cuda(Map.of())) {
            var e = assertThrows(ModelException.class, () -> strict.compile(g, 1));
            assertTrue(e.getMessage().startsWith("node 'add1' (Add) on cuda:"), e.getMessage());
        }
        try (CudaBackend lenient = EmulatedGpu.cuda(Map.of("allow-cpu-fallback", "true", "cuda-graph", "true"));
             CudaExecutable e = lenient.compile(g, 1)) {
            String report = String.join("\n", e.planReport());
            assertTrue(report.contains("add1: on the host (allow-cpu-fallback)"), report);
            assertTrue(report.contains("cuda-graph: not captured, because [add1] run on the host"), report);
            assertFalse(e.usesCudaGraph());
            EmulatedGpu.assertAllClose(EmulatedGpu.reference(g, in), e.run(in), "host fallback");
            EmulatedGpu.assertAllClose(EmulatedGpu.reference(g, in), e.run(in), "host fallback, second pass");
        }
        before.assertRestored();
    }

    @Test
    void transposedConvolutionWithOutputPaddingAtTheStrideRunsOnTheHost() {
        var b = new GraphBuilder("deconv_outpad", 9);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        b.output(b.relu(b.convTranspose(x, 4, 3, Hw.of(2), Pads.NONE, Hw.of(2), 1, true)));
        Graph g = b.build();
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend strict = EmulatedGpu.cuda(Map.of())) {
            var e = assertThrows(ModelException.class, () -> strict.compile(g, 2));
            assertTrue(e.getMessage().contains("output_padding 2 must be smaller than the stride 2"), e.getMessage());
        }
        var in = EmulatedGpu.inputs(g, 2, 4);
        try (CudaBackend lenient = EmulatedGpu.cuda(Map.of("allow-cpu-fallback", "true"));
             CudaExecutable e = lenient.compile(g, 2)) {
            EmulatedGpu.assertAllClose(EmulatedGpu.reference(g, in), e.run(in), g.name());
        }
        before.assertRestored();
    }

    /**
     * The graph separate and folded by the real planner, on every configuration in {@link #CONFIGS}; batch 1
     * and 2 when its input has a batch dimension. Expected: the reference interpreter on the original graph
     * and the CPU backend on the same planned graph.
     */
    private static void everyConfig(Graph model) {
        var before = EmulatedGpu.Snapshot.take();
        Graph separate = Planner.plan(model, PlanOptions.unfolded().withProbe(false)).graph();
        Graph folded = Planner.plan(model, PlanOptions.defaults().withProbe(false)).graph();
        boolean batched = model.inputs().getFirst().shape()[0] == Shapes.BATCH;
        try (Backend cpu = EmulatedGpu.cpu()) {
            for (int batch = 1; batch <= (batched ? 2 : 1); batch++) {
                var in = EmulatedGpu.inputs(model, batch, 40 + batch);
                var reference = EmulatedGpu.reference(model, in);
                for (Graph g : List.of(separate, folded)) {
                    var cpuOut = EmulatedGpu.runOnce(cpu, g, in, batch);
                    for (Map<String, String> options : CONFIGS) {
                        String what = model.name() + (g == folded ? " folded " : " separate ") + options + " batch " + batch;
                        try (CudaBackend cuda = EmulatedGpu.cuda(options); CudaExecutable e = cuda.compile(g, batch)) {
                            assertEquals(Boolean.parseBoolean(options.getOrDefault("cuda-graph", "false")),
                                    e.usesCudaGraph(), what + "\n" + String.join("\n", e.planReport()));
                            var got = e.run(in);
                            EmulatedGpu.assertAllClose(reference, got, what + " vs reference");
                            EmulatedGpu.assertAllClose(cpuOut, got, what + " vs cpu");
                        }
                    }
                }
            }
        }
        before.assertRestored();
    }

    /**
     * What the other models leave out: a Conv without bias followed by ReLU (the fused call needs a bias),
     * a Conv followed by a clip that is not ReLU6 (a kernel after the convolution), a dilated ceil-mode max
     * pool with asymmetric pads, an average pool counting its padding, Concat along H, rank-3 broadcast add,
     * mul by a row vector, an add broadcasting both operands ([N,C,1,1] + [N,1,1,W]), sigmoid, a Linear without bias + ReLU (activation after the GEMM), MatMul + BN,
     * Gemm whose row-shaped C has beta != 1, softmax, and a dilated grouped ConvTranspose.
     */
    static Graph extras() {
        var b = new GraphBuilder("extras", 24);
        String x = b.input("x", Shapes.BATCH, 4, 9, 11);
        String a = b.relu(b.conv(x, 6, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, false));
        String c = b.node(new Op.Clip(-0.25f, 0.5f), b.conv(a, 6, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, true));
        String mp = b.node(new Op.MaxPool(Hw.of(2), Hw.of(2), new Pads(0, 1, 1, 0), Hw.of(2), true), c);
        String ap = b.node(new Op.AveragePool(Hw.of(3), Hw.of(2), Pads.of(1), false, true), c);
        String cat = b.concat(2, mp, ap);
        String shifted = b.add(cat, b.constant("shift", Tensor.random(b.rng(), -1, 1, 6, 1, b.shape(cat)[3])));
        String scaled = b.mul(shifted, b.constant("rows", Tensor.random(b.rng(), -1, 1, 1, 1, b.shape(cat)[2], 1)));
        String gap = b.globalAveragePool(cat);                                    // [N, 6, 1, 1]
        String outer = b.add(gap, b.reshape(gap, 0, 1, 1, b.shape(cat)[3]));      // [N,6,1,1] + [N,1,1,6]
        String flat = b.flatten(b.sigmoid(b.mul(scaled, outer)));
        String hidden = b.relu(b.linear(flat, 16, false));
        String mm = b.batchNorm(b.matMul(hidden, 12));
        int[] ms = b.shape(mm);
        String c2 = b.constant("c_row", Tensor.random(b.rng(), -1, 1, 1, 7));
        String w2 = b.constant("w2", Tensor.random(b.rng(), -0.5f, 0.5f, ms[1], 7));
        String gm = b.node("gemm_beta", new Op.Gemm(1f, 0.5f, false, false, io.foldrt.ir.Activation.NONE),
                List.of(mm, w2, c2), List.of("gemm_beta_out"));
        b.output(b.softmax(gm, 1));
        // a dilated, grouped ConvTranspose with asymmetric pads and output padding, as a second output
        String dw = b.constant("deconv.weight", b.gaussian(0.3, 6, 2, 3, 3));
        String up = b.node("deconv_dilated", new Op.ConvTranspose(Hw.of(2), new Pads(1, 0, 0, 1), Hw.of(2), 2, Hw.of(1)),
                List.of(a, dw), List.of("deconv_dilated_out"));
        b.output(b.sigmoid(up));
        return b.build();
    }

    /** An alternating 7-dim broadcast: more than binary_bcast's 6 dims even after merging axes. */
    static Graph sevenDimBroadcast() {
        var b = new GraphBuilder("bcast7", 3);
        String x = b.input("x", 2, 1, 2, 1, 2, 1, 2);
        String c = b.constant("c", Tensor.random(new SplittableRandom(5), -1, 1, 1, 2, 1, 2, 1, 2, 1));
        b.output(b.relu(b.add(x, c)));
        return b.build();
    }
}
