package io.foldrt.plan;

import static io.foldrt.plan.Numerics.assertEquivalent;
import static io.foldrt.plan.Numerics.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.List;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every fold rule: the BN disappears and the folded graph computes the same as the original. */
class FoldRulesTest {

    /** Plans without activation fusion, so only folding is under test. */
    static PlanResult fold(Graph g) {
        return Planner.plan(g, new PlanOptions(true, false, new CpuFoldEngine(), true, 7));
    }

    static void assertAllFolded(Graph original, PlanResult r) {
        assertEquals(0, count(r.graph(), Op.BatchNorm.class), r.report().toText());
        assertEquals(count(original, Op.BatchNorm.class), r.report().foldedCount());
        assertEquals(0, r.report().keptCount());
        assertEquivalent(original, r.graph());
    }

    @ParameterizedTest(name = "bias={0}")
    @ValueSource(booleans = {true, false})
    void convBn(boolean bias) {
        var b = new GraphBuilder("conv", 1);
        String x = b.input("x", Shapes.BATCH, 3, 9, 9);
        b.output(b.batchNorm(b.conv(x, 5, 3, 3, new Hw(2, 1), new Pads(1, 0, 2, 1), Hw.ONE, 1, bias)));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        FoldReport.Entry e = r.report().entries().get(0);
        assertEquals("conv1", e.target());
        assertEquals("conv+bn", e.rule());
        assertEquals(bias, !e.reason().contains("no bias"), e.reason());
        // The folded conv writes the BN's output name, which is the graph output.
        assertEquals(g.outputs().get(0).name(), r.graph().nodes().get(0).output());
    }

    @ParameterizedTest(name = "group={0}")
    @ValueSource(ints = {2, 6})
    void groupedAndDepthwiseConvBn(int group) {
        var b = new GraphBuilder("grouped", 2);
        String x = b.input("x", Shapes.BATCH, 6, 8, 8);
        // group 6 on 6 channels with 12 outputs: depthwise with multiplier 2.
        b.output(b.batchNorm(b.conv(x, 12, 3, 3, Hw.ONE, Pads.of(1), new Hw(2, 1), group, false)));
        Graph g = b.build();
        assertAllFolded(g, fold(g));
    }

    @ParameterizedTest(name = "group={0} bias={1}")
    @CsvSource({"1,true", "2,true", "2,false", "3,false"})
    void convTransposeBn(int group, boolean bias) {
        var b = new GraphBuilder("deconv", 3);
        // Non-square channels: 6 in, 9 or 10 out (W is [6, out/g, 3, 3]), stride 2 with output padding.
        String x = b.input("x", Shapes.BATCH, 6, 5, 4);
        int out = group == 2 ? 10 : 9;
        b.output(b.batchNorm(b.convTranspose(x, out, 3, Hw.of(2), Pads.of(1), Hw.ONE, group, bias)));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertEquals("convtranspose+bn", r.report().entries().get(0).rule());
    }

    @Test
    void affineFalseBatchNorm() {
        var b = new GraphBuilder("affine", 4);
        String x = b.input("x", Shapes.BATCH, 4, 6, 6);
        b.output(b.batchNorm(b.conv(x, 7, 1, 1, 0), false, 1e-5));
        Graph g = b.build();
        assertAllFolded(g, fold(g));
    }

    @Test
    void tinyRunningVariance() {
        var b = new GraphBuilder("tiny", 5);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.conv(x, 4, 3, 1, 1);
        float[] var = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
        y = b.batchNorm(y, Tensor.of(new int[] {4}, 1.5f, -0.7f, 0.9f, 2f), Tensor.of(new int[] {4}, 0.1f, 0.2f, -0.3f, 0f),
                Tensor.of(new int[] {4}, 0.05f, -0.02f, 0.1f, 0f), Tensor.of(new int[] {4}, var), 1e-5);
        b.output(y);
        Graph g = b.build();
        assertAllFolded(g, fold(g));
    }

    @ParameterizedTest(name = "transA={0} transB={1}")
    @CsvSource({"false,true", "false,false", "true,true", "true,false"})
    void gemmBnWithAlphaBeta(boolean transA, boolean transB) {
        var b = new GraphBuilder("gemm", 6);
        // transA reads A as [K, M]; its M (3 rows) is fixed because the builder only marks dim 0 as batch.
        String a = transA ? b.input("x", 6, 3) : b.input("x", Shapes.BATCH, 6);
        String w = b.constant("w", b.gaussian(0.5, transB ? new int[] {5, 6} : new int[] {6, 5}));
        String c = b.constant("c", Tensor.random(b.rng(), -1f, 1f, 5));
        String y = b.node("gemm", new Op.Gemm(0.7f, 1.3f, transA, transB, Activation.NONE), List.of(a, w, c), List.of("y"));
        b.output(b.batchNorm(y));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        Op.Gemm folded = (Op.Gemm) r.graph().nodes().get(0).op();
        assertEquals(transB, folded.transB());
        assertEquals(transA, folded.transA());
    }

    @ParameterizedTest(name = "C shape {0}")
    @ValueSource(strings = {"none", "scalar", "1", "1x5", "1x1"})
    void gemmBnWithEveryPerChannelC(String cShape) {
        var b = new GraphBuilder("gemmc", 7);
        String x = b.input("x", Shapes.BATCH, 6);
        String w = b.constant("w", b.gaussian(0.5, 5, 6));
        List<String> in = new ArrayList<>(List.of(x, w));
        int[] s = switch (cShape) {
            case "none" -> null;
            case "scalar" -> new int[0];
            case "1" -> new int[] {1};
            case "1x5" -> new int[] {1, 5};
            default -> new int[] {1, 1};
        };
        if (s != null) in.add(b.constant("c", Tensor.random(b.rng(), -1f, 1f, s)));
        String y = b.node("gemm", new Op.Gemm(1f, 2f, false, true, Activation.NONE), in, List.of("y"));
        b.output(b.batchNorm(y));
        Graph g = b.build();
        assertAllFolded(g, fold(g));
    }

    @Test
    void matMulBnBecomesGemm() {
        var b = new GraphBuilder("matmul", 8);
        String x = b.input("x", Shapes.BATCH, 6);
        b.output(b.batchNorm(b.matMul(x, 4)));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertEquals(1, r.graph().nodes().size());
        assertTrue(r.graph().nodes().get(0).op() instanceof Op.Gemm);
        assertEquals("matmul+bn", r.report().entries().get(0).rule());
    }

    @Test
    void linearBnLinearCollapsesIntoOneGemm() {
        var b = new GraphBuilder("lbl", 9);
        String x = b.input("x", Shapes.BATCH, 12);
        String y = b.batchNorm(b.linear(x, 16, false), false, 1e-5);
        String w2 = b.constant("w2", b.gaussian(0.3, 16, 3)); // transB = 0 on the second Linear
        String c2 = b.constant("c2", Tensor.random(b.rng(), -1f, 1f, 3));
        b.output(b.node("fc2", new Op.Gemm(0.5f, 1.5f, false, false, Activation.NONE), List.of(y, w2, c2), List.of("z")));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertEquals(1, r.graph().nodes().size());
        Node merged = r.graph().nodes().get(0);
        assertEquals("z", merged.output());
        assertEquals(12 * 3 + 3, r.graph().parameterCount()); // one [3, 12] weight and a [3] bias
        FoldReport.Entry e = r.report().entries().get(0);
        assertEquals(merged.name(), e.mergedInto());
        assertTrue(e.rule().contains("collapse"), e.rule());
    }

    @Test
    void matMulBnLinearCollapsesToo() {
        var b = new GraphBuilder("mbl", 15);
        String x = b.input("x", Shapes.BATCH, 9);
        b.output(b.linear(b.batchNorm(b.matMul(x, 7)), 4, true)); // first weight [K, N1]: read by column
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertEquals(1, r.graph().nodes().size());
    }

    @Test
    void chainOfThreeLinearsWithTwoBatchNormsCollapsesFully() {
        var b = new GraphBuilder("chain", 10);
        String x = b.input("x", Shapes.BATCH, 10);
        String y = b.batchNorm(b.linear(x, 8, true));
        y = b.batchNorm(b.linear(y, 6, false));
        b.output(b.linear(y, 4, true));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertEquals(1, r.graph().nodes().size(), r.graph().nodes().toString());
    }

    @Test
    void batchNormBeforeUnpaddedConvFoldsIntoItsInputChannels() {
        var b = new GraphBuilder("pre", 11);
        String x = b.input("x", Shapes.BATCH, 4, 7, 7);
        String y = b.relu(x); // no layer before the BN
        y = b.batchNorm(y);
        b.output(b.conv(y, 6, 3, 3, new Hw(2, 2), Pads.NONE, Hw.ONE, 2, true));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        FoldReport.Entry e = r.report().entries().get(0);
        assertEquals("conv1", e.target());
        assertTrue(e.rule().startsWith("bn+conv"), e.rule());
    }

    @Test
    void batchNormBeforeUnpaddedConvWithoutBias() {
        var b = new GraphBuilder("pre2", 12);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        b.output(b.conv(b.batchNorm(x), 4, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, false));
        Graph g = b.build();
        assertAllFolded(g, fold(g));
    }

    @Test
    void batchNormBetweenTwoConvsFoldsForwardAndTheNextIntoTheSecondConvToo() {
        var b = new GraphBuilder("both", 13);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.relu(b.conv(x, 4, 3, 1, 1));
        y = b.batchNorm(y);                                   // after a Relu: only the 1x1 conv after it can take it
        y = b.batchNorm(b.conv(y, 5, 1, 1, 0));               // after the 1x1 conv
        b.output(y);
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertEquals(2, count(r.graph(), Op.Conv.class));
    }

    @Test
    void foldingKeepsAllValueNamesConsumersSee() {
        var b = new GraphBuilder("names", 14);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String bn = b.batchNorm(b.conv(x, 4, 3, 1, 1));
        String r1 = b.relu(bn);
        b.output(bn);                       // the BN output is a graph output and also read by a Relu
        b.output(b.add(r1, bn));
        Graph g = b.build();
        PlanResult r = fold(g);
        assertAllFolded(g, r);
        assertFalse(r.graph().initializers().containsKey("conv1.weight"), "the unfolded weight is dropped");
        assertFalse(r.graph().initializers().containsKey("bn1.running_var"), "BN statistics are dropped");
        for (Node n : r.graph().nodes()) for (String in : n.inputs()) assertFalse(in.startsWith("conv1_out"), n.toString());
        assertNull(r.graph().producer("conv1_out"));
    }
}
