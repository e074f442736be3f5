package io.foldrt.plan;

import static io.foldrt.plan.Numerics.assertEquivalent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When Linear→BN→Linear does not collapse: the BN still folds into the first Linear, and the report says why. */
class CollapseTest {

    private static PlanResult plan(Graph g) {
        return Planner.plan(g, new PlanOptions(true, false, new CpuFoldEngine(), false, 1));
    }

    private static void assertFoldedNotMerged(Graph g, String why) {
        PlanResult r = plan(g);
        FoldReport.Entry e = r.report().entries().get(0);
        assertTrue(e.folded());
        assertNull(e.mergedInto());
        assertEquals("gemm+bn", e.rule());
        assertTrue(e.reason().contains("not merged") && e.reason().contains(why), e.reason());
        assertEquals(g.nodes().size() - 1, r.graph().nodes().size()); // only the BN is gone
        assertEquivalent(g, r.graph());
    }

    @Test
    void notWhenTheMergedWeightWouldBeLarger() {
        var b = new GraphBuilder("bottleneck", 1);
        String x = b.input("x", Shapes.BATCH, 16);
        b.output(b.linear(b.batchNorm(b.linear(x, 4, true)), 16, true)); // 16x4 + 4x16 = 128 < 16x16
        assertFoldedNotMerged(b.build(), "merged weight 16x16 would be larger than 16x4 + 4x16");
    }

    @Test
    void notWhenMultiplyingOutTakesTooLong() {
        var b = new GraphBuilder("big", 2);
        String x = b.input("x", Shapes.BATCH, 1024);
        // 1024x512 then 512x1024: the merged 1024x1024 is no larger, but the product is 2^29 multiply-adds.
        b.output(b.linear(b.batchNorm(b.linear(x, 512, false)), 1024, false));
        Graph g = b.build();
        FoldReport.Entry e = plan(g).report().entries().get(0);
        assertNull(e.mergedInto());
        assertTrue(e.reason().contains("536870912 multiply-adds"), e.reason());
    }

    @Test
    void notWhenTheSecondGemmTransposesItsInput() {
        var b = new GraphBuilder("transA", 3);
        String x = b.input("x", 3, 6);
        String y = b.batchNorm(b.linear(x, 5, true));   // [3, 5]
        String w = b.constant("w2", b.gaussian(0.5, 3, 2)); // A^T [5, 3] x [3, 2]
        b.output(b.node("fc2", new Op.Gemm(1f, 1f, true, false, Activation.NONE), List.of(y, w), List.of("z")));
        assertFoldedNotMerged(b.build(), "transposes its input A");
    }

    @Test
    void notWhenTheSecondWeightIsShared() {
        var b = new GraphBuilder("sharedw2", 4);
        String x = b.input("x", Shapes.BATCH, 6);
        String w = b.constant("w2", b.gaussian(0.5, 6, 6));
        Op.Gemm lin = new Op.Gemm(1f, 1f, false, true, Activation.NONE);
        String y = b.batchNorm(b.linear(x, 6, true));
        String z = b.node("fc2", lin, List.of(y, w), List.of("z"));
        b.output(b.node("fc3", lin, List.of(z, w), List.of("out")));
        assertFoldedNotMerged(b.build(), "weight 'w2' is shared with 'fc3' (Gemm)");
    }
}
