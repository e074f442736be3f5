package io.foldrt.plan;

import static io.foldrt.plan.Numerics.assertEquivalent;
import static io.foldrt.plan.Numerics.count;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import java.util.List;
import org.junit.jupiter.api.Test;

class ActivationFusionTest {

    private static Activation activationOf(Graph g, int node) {
        return switch (g.nodes().get(node).op()) {
            case Op.Conv c -> c.activation();
            case Op.Gemm gm -> gm.activation();
            default -> throw new AssertionError(g.nodes().get(node));
        };
    }

    @Test
    void convBnReluBecomesOneConvWithRelu() {
        var b = new GraphBuilder("cbr", 1);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        b.output(b.relu(b.batchNorm(b.conv(x, 4, 3, 1, 1))));
        Graph g = b.build();
        PlanResult r = Planner.plan(g);
        assertEquals(1, r.graph().nodes().size(), r.graph().nodes().toString());
        assertEquals(Activation.RELU, activationOf(r.graph(), 0));
        assertEquals(List.of(new FoldReport.ActivationFusion("conv1", "relu1", "relu")), r.report().activationFusions());
        assertEquivalent(g, r.graph());
    }

    @Test
    void clipZeroSixIsRelu6AndOtherClipsKeepTheirBounds() {
        var b = new GraphBuilder("clip", 2);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.relu6(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        b.output(b.node(new Op.Clip(-0.5f, 0.25f), b.conv(y, 4, 1, 1, 0)));
        Graph g = b.build();
        PlanResult r = Planner.plan(g);
        assertEquals(2, r.graph().nodes().size(), r.graph().nodes().toString());
        assertTrue(activationOf(r.graph(), 0).isRelu6());
        assertEquals(Activation.clip(-0.5f, 0.25f), activationOf(r.graph(), 1));
        assertEquivalent(g, r.graph());
    }

    @Test
    void gemmRelu() {
        var b = new GraphBuilder("gr", 3);
        String x = b.input("x", Shapes.BATCH, 6);
        b.output(b.relu(b.linear(x, 5, true)));
        Graph g = b.build();
        PlanResult r = Planner.plan(g);
        assertEquals(Activation.RELU, activationOf(r.graph(), 0));
        assertEquivalent(g, r.graph());
    }

    @Test
    void notFusedWhenTheLayerOutputIsAlsoReadElsewhereOrIsAGraphOutput() {
        var b = new GraphBuilder("shared", 4);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String c1 = b.conv(x, 3, 3, 1, 1);
        String y = b.add(b.relu(c1), c1);
        String c2 = b.conv(y, 3, 1, 1, 0);
        b.output(c2);
        b.output(b.relu(c2));
        Graph g = b.build();
        PlanResult r = Planner.plan(g);
        assertEquals(g, r.graph());
        assertTrue(r.report().activationFusions().isEmpty());
    }

    @Test
    void aLayerWithAnActivationAlreadyIsNotFusedAgain() {
        var b = new GraphBuilder("twice", 5);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String w = b.constant("w", b.gaussian(0.5, 4, 3, 3, 3));
        String c = b.node("conv", new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, 1, Activation.RELU), List.of(x, w), List.of("c"));
        b.output(b.node(new Op.Clip(-1f, 0.5f), c));
        Graph g = b.build();
        PlanResult r = Planner.plan(g);
        assertEquals(2, r.graph().nodes().size());
        assertEquivalent(g, r.graph());
    }

    @Test
    void unfoldedPlanKeepsBatchNormsButFusesConvReluWhereNoBnSitsBetween() {
        var b = new GraphBuilder("bench", 6);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.relu(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        b.output(b.relu(b.conv(y, 4, 3, 1, 1)));
        Graph g = b.build();
        PlanResult r = Planner.plan(g, PlanOptions.unfolded());
        assertEquals(1, count(r.graph(), Op.BatchNorm.class));
        assertEquals(1, count(r.graph(), Op.Relu.class)); // the one after the BN
        assertEquals(List.of(new FoldReport.ActivationFusion("conv2", "relu2", "relu")), r.report().activationFusions());
        assertEquivalent(g, r.graph());
    }

    @Test
    void fusionOffLeavesActivationsAlone() {
        var b = new GraphBuilder("off", 7);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        b.output(b.relu(b.conv(x, 4, 3, 1, 1)));
        Graph g = b.build();
        PlanResult r = Planner.plan(g, new PlanOptions(true, false, new CpuFoldEngine(), false, 1));
        assertEquals(g, r.graph());
    }
}
