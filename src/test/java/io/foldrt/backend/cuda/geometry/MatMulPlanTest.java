package io.foldrt.backend.cuda.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** MatMul as GEMM calls (each through the cuBLAS mapping and the column-major model) against the reference. */
class MatMulPlanTest {

    @Test
    void batchedAndBroadcastMatMulMatchTheReference() {
        int[][][] cases = {
            {{4, 5}, {5, 3}}, {{2, 4, 5}, {5, 3}}, {{2, 3, 4, 5}, {5, 2}}, {{2, 4, 5}, {2, 5, 3}},
            {{2, 1, 4, 5}, {3, 5, 2}}, {{4, 5}, {2, 5, 3}}, {{1, 4, 5}, {3, 5, 2}},
        };
        SplittableRandom rng = new SplittableRandom(7);
        for (int[][] c : cases) {
            Tensor a = Tensor.random(rng, -1, 1, c[0]), b = Tensor.random(rng, -1, 1, c[1]);
            var gb = new GraphBuilder("g", 1);
            String x = gb.input("a", c[0]);
            gb.output(gb.node("mm", new Op.MatMul(), List.of(x, gb.constant("b", b)), List.of("y")));
            var ref = ReferenceInterpreter.run(gb.build(), Map.of("a", a)).get("y");
            MatMulPlan plan = MatMulPlan.of(c[0], c[1], ref.shape());
            float[] y = new float[(int) Shapes.elementCount(ref.shape())];
            GemmMapping g = GemmMapping.rowMajor(plan.m(), plan.n(), plan.k(), false, false);
            for (MatMulPlan.Call call : plan.calls()) {
                float[] av = slice(a.data(), call.a(), plan.m() * plan.k());
                float[] bv = slice(b.data(), call.b(), plan.k() * plan.n());
                float[] yv = new float[plan.m() * plan.n()];
                GemmMappingTest.columnMajorSgemm(g.transa(), g.transb(), g.m(), g.n(), g.k(), 1f, bv, g.lda(), av, g.ldb(), 0f, yv, g.ldc());
                System.arraycopy(yv, 0, y, (int) call.y(), yv.length);
            }
            double[] expected = ref.data();
            float[] e = new float[expected.length];
            for (int i = 0; i < e.length; i++) e[i] = (float) expected[i];
            assertArrayEquals(e, y, 1e-5f, java.util.Arrays.deepToString(c));
        }
    }

    @Test
    void aPlainMatrixOnTheRightFoldsTheBatchIntoOneCall() {
        MatMulPlan p = MatMulPlan.of(new int[] {8, 16, 32}, new int[] {32, 10}, new int[] {8, 16, 10});
        assertEquals(1, p.calls().size());
        assertEquals(128, p.m());
    }

    private static float[] slice(float[] d, long off, int len) {
        float[] s = new float[len];
        System.arraycopy(d, (int) off, s, 0, len);
        return s;
    }
}
