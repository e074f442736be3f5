package io.foldrt.plan;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import org.junit.jupiter.api.Test;

/** Broken BatchNorm statistics are a model error, reported with the BN node, tensor and channel. */
class StatisticsErrorTest {

    private static Graph convBn(float[] gamma, float[] mean, float[] var, boolean bnFirst) {
        var b = new GraphBuilder("bad", 1);
        String x = b.input("x", Shapes.BATCH, 3, 5, 5);
        int c = bnFirst ? 3 : 4;
        if (!bnFirst) x = b.conv(x, 4, 3, 1, 1);
        String y = b.batchNorm(x, Tensor.of(new int[] {c}, gamma), Tensor.of(new int[] {c}, new float[c]),
                Tensor.of(new int[] {c}, mean), Tensor.of(new int[] {c}, var), 1e-5);
        b.output(bnFirst ? b.conv(y, 4, 1, 1, 0) : y);
        return b.build();
    }

    private static String error(Graph g) {
        return assertThrows(ModelException.class, () -> Planner.plan(g)).getMessage();
    }

    @Test
    void negativeVariance() {
        String m = error(convBn(new float[] {1, 1, 1, 1}, new float[4], new float[] {1, 1, -0.5f, 1}, false));
        assertTrue(m.contains("BatchNorm 'bn1'") && m.contains("bn1.running_var[2]") && m.contains("not positive"), m);
    }

    @Test
    void infiniteScale() {
        String m = error(convBn(new float[] {1, Float.POSITIVE_INFINITY, 1, 1}, new float[4], new float[] {1, 1, 1, 1}, false));
        assertTrue(m.contains("BatchNorm 'bn1'") && m.contains("bn1.weight[1] is Infinity"), m);
    }

    @Test
    void nanMean() {
        String m = error(convBn(new float[] {1, 1, 1, 1}, new float[] {0, 0, 0, Float.NaN}, new float[] {1, 1, 1, 1}, false));
        assertTrue(m.contains("BatchNorm 'bn1'") && m.contains("bn1.running_mean[3] is NaN"), m);
    }

    @Test
    void alsoWhenFoldingIntoTheConvAfter() {
        String m = error(convBn(new float[] {1, 1, 1}, new float[3], new float[] {-1, 1, 1}, true));
        assertTrue(m.contains("BatchNorm 'bn1'") && m.contains("bn1.running_var[0]"), m);
    }
}
