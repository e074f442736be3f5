package io.foldrt.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The engine's arithmetic on values small enough to work out by hand. */
class CpuFoldEngineTest {
    // var + eps = {4, 9}, sqrt = {2, 3}, gamma = {2, 6}: scale s = {1, 2}.
    private static final Tensor GAMMA = vec(2, 6), BETA = vec(0.5f, -0.5f), MEAN = vec(1, 2), VAR = vec(3, 8);
    private static final double EPS = 1.0;

    private static Tensor vec(float... v) {
        return Tensor.of(new int[] {v.length}, v);
    }

    private static FoldJob job(Tensor w, Tensor bias, FoldJob.Layout l) {
        return new FoldJob("layer", w, bias, l, GAMMA, BETA, MEAN, VAR, EPS);
    }

    private static FoldJob.Result fold(FoldJob j) {
        return new CpuFoldEngine().fold(List.of(j)).get(0);
    }

    @Test
    void convRowsScaleByTheirOutputChannelAndTheBiasFollowsTheFormula() {
        Tensor w = Tensor.of(new int[] {2, 1, 1, 2}, 1, 2, 3, 4);
        FoldJob.Result r = fold(job(w, vec(1, -1), new FoldJob.Layout(1, 2, 2, 1)));
        assertArrayEquals(new float[] {1, 2, 6, 8}, r.weight().data());
        assertArrayEquals(new int[] {2, 1, 1, 2}, r.weight().shape());
        // (b - mean) * s + beta = (1 - 1) * 1 + 0.5 and (-1 - 2) * 2 - 0.5
        assertArrayEquals(new float[] {0.5f, -6.5f}, r.bias().data());
    }

    @Test
    void withoutBiasTheShiftAloneBecomesTheBias() {
        FoldJob.Result r = fold(job(Tensor.of(new int[] {2, 1}, 1, 1), null, new FoldJob.Layout(1, 2, 1, 1)));
        assertArrayEquals(new float[] {(0 - 1) * 1 + 0.5f, (0 - 2) * 2 - 0.5f}, r.bias().data());
    }

    @Test
    void columnLayoutScalesColumns() {
        // MatMul / Gemm without transB: W[K=2, N=2], the output channel is the column.
        FoldJob.Result r = fold(job(Tensor.of(new int[] {2, 2}, 1, 1, 1, 1), null, new FoldJob.Layout(2, 2, 1, 1)));
        assertArrayEquals(new float[] {1, 2, 1, 2}, r.weight().data());
    }

    @Test
    void convTransposeScalesDim1WithinEachGroup() {
        // Ungrouped W[C=2, M=2, 1, 1]: dim 1 is the output channel.
        FoldJob.Result r1 = fold(job(Tensor.of(new int[] {2, 2, 1, 1}, 1, 1, 1, 1), null, new FoldJob.Layout(2, 2, 1, 1)));
        assertArrayEquals(new float[] {1, 2, 1, 2}, r1.weight().data());
        // Group 2, W[C=4, M/g=1, 1, 1]: input channels 0-1 feed output channel 0, 2-3 feed output channel 1.
        FoldJob.Result r2 = fold(job(Tensor.of(new int[] {4, 1, 1, 1}, 1, 1, 1, 1), null, new FoldJob.Layout(4, 1, 1, 2)));
        assertArrayEquals(new float[] {1, 1, 2, 2}, r2.weight().data());
    }

    @Test
    void allJobsInOneCallComeBackInOrder() {
        FoldJob a = job(Tensor.of(new int[] {2, 1}, 1, 1), null, new FoldJob.Layout(1, 2, 1, 1));
        FoldJob b = job(Tensor.of(new int[] {2, 1}, 3, 3), null, new FoldJob.Layout(1, 2, 1, 1));
        List<FoldJob.Result> r = new CpuFoldEngine().fold(List.of(a, b));
        assertArrayEquals(new float[] {1, 2}, r.get(0).weight().data());
        assertArrayEquals(new float[] {3, 6}, r.get(1).weight().data());
    }

    private static String refusal(FoldJob j) {
        return assertThrows(ModelException.class, () -> fold(j)).getMessage();
    }

    @Test
    void refusesNonPositiveVariancePlusEpsilonNamingTheChannel() {
        FoldJob j = new FoldJob("conv7", Tensor.of(new int[] {2, 1}, 1, 1), null, new FoldJob.Layout(1, 2, 1, 1),
                GAMMA, BETA, MEAN, vec(1, -1), 1e-5);
        String m = refusal(j);
        assertTrue(m.contains("'conv7'") && m.contains("var[1]") && m.contains("not positive"), m);
    }

    @Test
    void refusesNanOrInfInAnyParameter() {
        Tensor w = Tensor.of(new int[] {2, 1}, 1, 1);
        FoldJob.Layout l = new FoldJob.Layout(1, 2, 1, 1);
        String m1 = refusal(new FoldJob("c", w, null, l, vec(1, Float.NaN), BETA, MEAN, VAR, EPS));
        assertTrue(m1.contains("scale (gamma)[1] is NaN"), m1);
        String m2 = refusal(new FoldJob("c", w, null, l, GAMMA, BETA, vec(Float.POSITIVE_INFINITY, 0), VAR, EPS));
        assertTrue(m2.contains("mean[0] is Infinity"), m2);
        String m3 = refusal(new FoldJob("c", Tensor.of(new int[] {2, 1}, 1, Float.NaN), null, l, GAMMA, BETA, MEAN, VAR, EPS));
        assertTrue(m3.contains("weight[1] is NaN"), m3);
        String m4 = refusal(new FoldJob("c", w, vec(Float.NEGATIVE_INFINITY, 0), l, GAMMA, BETA, MEAN, VAR, EPS));
        assertTrue(m4.contains("bias[0] is -Infinity"), m4);
        String m5 = refusal(new FoldJob("c", w, null, l, GAMMA, BETA, MEAN, VAR, Double.NaN));
        assertTrue(m5.contains("epsilon"), m5);
    }

    @Test
    void refusesAFoldThatOverflowsFloat32() {
        // var + eps = 1e-40 gives s = 1e20; 1e20 * 1e20 does not fit in float32.
        FoldJob j = new FoldJob("big", Tensor.of(new int[] {1, 1}, 1e20f), null, new FoldJob.Layout(1, 1, 1, 1),
                vec(1), vec(0), vec(0), vec(0), 1e-40);
        String m = refusal(j);
        assertTrue(m.contains("overflows float32"), m);
    }

    @Test
    void refusesALayoutThatDoesNotDescribeTheWeight() {
        String m = refusal(job(Tensor.of(new int[] {3, 1}, 1, 1, 1), null, new FoldJob.Layout(1, 2, 1, 1)));
        assertTrue(m.contains("weight has 3 values"), m);
    }

    @Test
    void namesItself() {
        assertEquals("cpu float64", new CpuFoldEngine().name());
    }
}
