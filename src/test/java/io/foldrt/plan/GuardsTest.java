package io.foldrt.plan;

import static io.foldrt.plan.Numerics.assertEquivalent;
import static io.foldrt.plan.Numerics.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Each guard on a graph that it, and only it, must stop: the BatchNorm stays, the report says why, and the
 * planned graph still computes the original (same outputs, same numbers).
 */
class GuardsTest {

    private static PlanResult plan(Graph g) {
        return Planner.plan(g, new PlanOptions(true, false, new CpuFoldEngine(), true, 7));
    }

    /** Plans, checks that BN {@code bn} was kept for a reason containing {@code why}, and that numbers hold. */
    private static PlanResult assertKept(Graph g, String bn, String why) {
        PlanResult r = plan(g);
        FoldReport.Entry e = r.report().entry(bn).orElseThrow();
        assertFalse(e.folded(), r.report().toText());
        assertNull(e.target());
        assertTrue(e.reason().contains(why), "reason was: " + e.reason());
        assertTrue(Double.isNaN(e.maxAbsError()), "a kept BN has no probe error");
        assertTrue(r.graph().nodes().stream().anyMatch(n -> n.name().equals(bn)), "BN node must stay");
        assertEquivalent(g, r.graph());
        return r;
    }

    @Test
    void trainingOutputsPresent() {
        var b = new GraphBuilder("train", 1);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String y = b.conv(x, 4, 3, 1, 1);
        List<String> in = List.of(y, b.constant("g", Tensor.random(b.rng(), 0.5f, 1.5f, 4)),
                b.constant("be", Tensor.random(b.rng(), -1f, 1f, 4)), b.constant("m", Tensor.random(b.rng(), -1f, 1f, 4)),
                b.constant("v", Tensor.random(b.rng(), 0.5f, 1.5f, 4)));
        b.node("bn", new Op.BatchNorm(1e-5), in, List.of("y", "running_mean_out", "running_var_out"));
        b.output("y");
        assertKept(b.build(), "bn", "training outputs");
    }

    @Test
    void statisticsThatAreGraphInputsCanBeOverriddenSoStay() {
        var b = new GraphBuilder("stats", 2);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        b.output(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        Graph g = b.build();
        // bn1.running_var is also declared as a graph input: a caller may feed other statistics at run time.
        List<ValueInfo> inputs = new ArrayList<>(g.inputs());
        inputs.add(new ValueInfo("bn1.running_var", new int[] {4}));
        Graph g2 = new Graph(g.name(), inputs, g.outputs(), g.nodes(), g.initializers());
        assertKept(g2, "bn1", "'bn1.running_var' is not a constant initializer");
    }

    @Test
    void layerWithAFusedActivationBeforeTheBn() {
        var b = new GraphBuilder("act", 3);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String w = b.constant("w", b.gaussian(0.5, 4, 3, 3, 3));
        String y = b.node("conv", new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, 1, Activation.RELU), List.of(x, w), List.of("c"));
        b.output(b.batchNorm(y));
        assertKept(b.build(), "bn1", "fused relu");
    }

    @Test
    void convOutputReadBySomethingElse() {
        var b = new GraphBuilder("shared", 4);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String c = b.conv(x, 4, 3, 1, 1);
        b.output(b.add(b.batchNorm(c), b.relu(c)));
        PlanResult r = assertKept(b.build(), "bn1", "also read by 'relu1' (Relu)");
        assertEquals(1, count(r.graph(), Op.Conv.class));
    }

    @Test
    void convOutputIsAGraphOutput() {
        var b = new GraphBuilder("visible", 5);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String c = b.conv(x, 4, 3, 1, 1);
        b.output(c);
        b.output(b.batchNorm(c));
        assertKept(b.build(), "bn1", "'conv1_out' is a graph output");
    }

    @Test
    void weightThatIsNotAConstant() {
        var b = new GraphBuilder("wi", 6);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String w = b.input("w", 4, 3, 3, 3);
        String y = b.node("conv", new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, 1, Activation.NONE), List.of(x, w), List.of("c"));
        b.output(b.batchNorm(y));
        assertKept(b.build(), "bn1", "weight 'w' of 'conv' (Conv) is not a constant initializer");
    }

    @Test
    void weightSharedByTwoConvs() {
        var b = new GraphBuilder("sharedw", 7);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String w = b.constant("w", b.gaussian(0.5, 3, 3, 3, 3));
        Op.Conv op = new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, 1, Activation.NONE);
        String y = b.batchNorm(b.node("convA", op, List.of(x, w), List.of("a")));
        String z = b.batchNorm(b.node("convB", op, List.of(y, w), List.of("bb")));
        b.output(z);
        Graph g = b.build();
        assertKept(g, "bn1", "weight 'w' is shared with 'convB' (Conv)");
        assertKept(g, "bn2", "weight 'w' is shared with 'convA' (Conv)");
    }

    @Test
    void biasSharedByTwoConvs() {
        var b = new GraphBuilder("sharedb", 8);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        String bias = b.constant("bias", Tensor.random(b.rng(), -1f, 1f, 3));
        Op.Conv op = new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, 1, Activation.NONE);
        String y = b.node("convA", op, List.of(x, b.constant("wa", b.gaussian(0.5, 3, 3, 3, 3)), bias), List.of("a"));
        String z = b.node("convB", op, List.of(x, b.constant("wb", b.gaussian(0.5, 3, 3, 3, 3)), bias), List.of("bb"));
        b.output(b.add(b.batchNorm(y), z));
        assertKept(b.build(), "bn1", "bias 'bias' is shared with 'convB' (Conv)");
    }

    @Test
    void gemmWhoseCVariesByRow() {
        var b = new GraphBuilder("crow", 9);
        String x = b.input("x", 2, 6); // fixed 2 rows, so a [2, 5] C is legal
        String w = b.constant("w", b.gaussian(0.5, 5, 6));
        String c = b.constant("c", Tensor.random(b.rng(), -1f, 1f, 2, 5));
        String y = b.node("gemm", new Op.Gemm(1f, 1f, false, true, Activation.NONE), List.of(x, w, c), List.of("y"));
        b.output(b.batchNorm(y));
        assertKept(b.build(), "bn1", "varies by row");
    }

    @Test
    void matMulOnA3dInputWhoseSequenceAxisHappensToMatch() {
        var b = new GraphBuilder("mm3", 10);
        String x = b.input("x", 1, 4, 6);              // [batch, seq 4, features 6]
        b.output(b.batchNorm(b.matMul(x, 4)));         // [1, 4, 4]: BN axis 1 is seq, not W's column
        assertKept(b.build(), "bn1", "is 3-D");
    }

    @Test
    void matMulWithA3dWeight() {
        var b = new GraphBuilder("mmw", 11);
        String x = b.input("x", 2, 4);
        String w = b.constant("w", b.gaussian(0.5, 3, 4, 5));
        String y = b.node(new Op.MatMul(), x, w);      // [3, 2, 5]: BN axis 1 has 2 channels
        b.output(b.batchNorm(y));
        assertKept(b.build(), "bn1", "not 2-D");
    }

    @Test
    void batchNormBeforeAPaddedConvStays() {
        var b = new GraphBuilder("padded", 12);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        b.output(b.conv(b.batchNorm(b.relu(x)), 4, 3, 1, 1));
        assertKept(b.build(), "bn1", "padded zeros would not be shifted");
    }

    @Test
    void batchNormBeforeTwoConvsStays() {
        var b = new GraphBuilder("twoconvs", 13);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.batchNorm(b.relu(x));
        b.output(b.add(b.conv(y, 4, 1, 1, 0), b.conv(y, 4, 1, 1, 0)));
        assertKept(b.build(), "bn1", "also read by 'conv2' (Conv)");
    }

    @Test
    void batchNormBeforeAConvWhoseInputIsAlsoAGraphOutput() {
        var b = new GraphBuilder("bnout", 14);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.batchNorm(b.relu(x));
        b.output(y);
        b.output(b.conv(y, 4, 1, 1, 0));
        assertKept(b.build(), "bn1", "'bn1_out' is a graph output");
    }

    @Test
    void batchNormWithNoLayerAroundSaysWhatItsNeighboursAre() {
        var b = new GraphBuilder("alone", 15);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        b.output(b.relu(b.batchNorm(b.add(x, x))));
        PlanResult r = assertKept(b.build(), "bn1", "input from 'add1' (Add)");
        assertTrue(r.report().entry("bn1").orElseThrow().reason().contains("'relu1' (Relu)"));
    }

    @Test
    void mismatchedChannelCountsAreAnInvalidModel() {
        var b = new GraphBuilder("channels", 16);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String c = b.conv(x, 4, 3, 1, 1);
        b.output(c);
        Graph g = b.build();
        var nodes = new ArrayList<>(g.nodes());
        var inits = new LinkedHashMap<>(g.initializers());
        for (String p : List.of("s", "bb", "m", "v")) inits.put(p, Tensor.random(new SplittableRandom(1), 0.5f, 1f, 5));
        nodes.add(new Node("bn", new Op.BatchNorm(1e-5), List.of(c, "s", "bb", "m", "v"), List.of("y")));
        Graph bad = new Graph("channels", g.inputs(), List.of(new ValueInfo("y", new int[] {Shapes.BATCH, 4, 6, 6})), nodes, inits);
        ModelException e = assertThrows(ModelException.class, () -> Planner.plan(bad));
        assertTrue(e.getMessage().contains("node 'bn'"), e.getMessage());
    }

    @Test
    void foldingOffKeepsEveryBatchNorm() {
        var b = new GraphBuilder("off", 17);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        b.output(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        Graph g = b.build();
        PlanResult r = Planner.plan(g, PlanOptions.unfolded());
        assertEquals(g, r.graph());
        assertEquals("folding is off", r.report().entries().get(0).reason());
        assertEquals("none", r.report().engineName());
    }
}
