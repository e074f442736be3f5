package io.foldrt.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProbeTest {

    /** Conv 3x3, Conv 7x7, ConvTranspose, Linear and MatMul, each followed by a BN. */
    private static Graph mixed() {
        var b = new GraphBuilder("mixed", 1);
        String x = b.input("x", Shapes.BATCH, 3, 16, 16);
        String y = b.relu(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        y = b.relu(b.batchNorm(b.conv(y, 4, 7, 7, Hw.of(2), Pads.of(3), Hw.ONE, 1, false)));
        y = b.batchNorm(b.convTranspose(y, 6, 2, Hw.of(2), Pads.NONE, Hw.ZERO, 2, false));
        y = b.flatten(b.globalAveragePool(y));
        y = b.relu(b.batchNorm(b.linear(y, 5, true)));
        b.output(b.batchNorm(b.matMul(y, 3)));
        return b.build();
    }

    /** Counts calls; optionally spoils the first folded weight by 50% (as a fold on the wrong channel would) to see that the probe notices. */
    private static final class SpyEngine implements FoldEngine {
        final List<Integer> calls = new ArrayList<>();
        final boolean spoil;

        SpyEngine(boolean spoil) {
            this.spoil = spoil;
        }

        @Override
        public String name() {
            return "spy";
        }

        @Override
        public List<FoldJob.Result> fold(List<FoldJob> jobs) {
            calls.add(jobs.size());
            List<FoldJob.Result> r = new CpuFoldEngine().fold(jobs);
            if (!spoil) return r;
            List<FoldJob.Result> out = new ArrayList<>(r);
            float[] w = r.get(0).weight().data().clone();
            w[0] *= 1.5f;
            out.set(0, new FoldJob.Result(new Tensor(r.get(0).weight().shape(), w), r.get(0).bias()));
            return out;
        }
    }

    @Test
    void everyLayerIsFoldedInOneEngineCall() {
        SpyEngine spy = new SpyEngine(false);
        PlanResult r = Planner.plan(mixed(), PlanOptions.defaults().withEngine(spy));
        assertEquals(List.of(5), spy.calls);
        assertEquals(5, r.report().foldedCount());
        assertEquals("spy", r.report().engineName());
    }

    @Test
    void noEngineCallWhenThereIsNothingToFold() {
        var b = new GraphBuilder("none", 2);
        b.output(b.relu(b.conv(b.input("x", Shapes.BATCH, 3, 4, 4), 2, 1, 1, 0)));
        SpyEngine spy = new SpyEngine(false);
        Planner.plan(b.build(), PlanOptions.defaults().withEngine(spy));
        assertEquals(List.of(), spy.calls);
    }

    @Test
    void probeShapesAreBatchOneWithASmallPlaneThatStillFitsTheKernel() {
        PlanResult r = Planner.plan(mixed());
        List<FoldReport.Entry> e = r.report().entries();
        assertArrayEquals(new int[] {1, 3, 4, 4}, e.get(0).probeShape());   // 16x16 cut to the 4x4 cap
        assertArrayEquals(new int[] {1, 4, 7, 7}, e.get(1).probeShape());   // a 7x7 kernel needs 7x7
        assertArrayEquals(new int[] {1, 4, 4, 4}, e.get(2).probeShape());   // the 8x8 input of the ConvTranspose
        assertArrayEquals(new int[] {1, 6}, e.get(3).probeShape());
        assertArrayEquals(new int[] {1, 5}, e.get(4).probeShape());
    }

    @Test
    void correctFoldsMeasureFloat32RoundingOnly() {
        FoldReport rep = Planner.plan(mixed()).report();
        for (FoldReport.Entry e : rep.entries()) {
            // Folded weights are float32 roundings (relative 6e-8 each) of the exact ones.
            assertTrue(e.maxRelError() < 1e-6, e.bn() + ": " + e.maxRelError());
            assertTrue(e.maxAbsError() >= 0 && e.maxAbsError() <= e.maxRelError() * 1e6, e.toString());
        }
        assertTrue(rep.maxRelError() < 1e-6);
    }

    @Test
    void aWrongFoldIsCaughtByTheProbe() {
        PlanResult r = Planner.plan(mixed(), PlanOptions.defaults().withEngine(new SpyEngine(true)));
        FoldReport.Entry spoiled = r.report().entries().get(0);
        assertTrue(spoiled.maxRelError() > 1e-3, spoiled.toString());
        assertEquals(spoiled.maxRelError(), r.report().maxRelError());
        assertTrue(r.report().entries().get(1).maxRelError() < 1e-6);
    }

    @Test
    void probeOffMeansNoNumbers() {
        FoldReport rep = Planner.plan(mixed(), PlanOptions.defaults().withProbe(false)).report();
        for (FoldReport.Entry e : rep.entries()) {
            assertTrue(Double.isNaN(e.maxAbsError()) && Double.isNaN(e.maxRelError()));
            assertNull(e.probeShape());
        }
        assertTrue(Double.isNaN(rep.maxAbsError()));
        assertEquals(0.0, rep.probeMillis());
    }

    @Test
    void theSeedMakesProbesRepeatable() {
        PlanOptions o = PlanOptions.defaults();
        assertEquals(Planner.plan(mixed(), o).report().entries(), Planner.plan(mixed(), o).report().entries());
    }
}
