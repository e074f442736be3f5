package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Checks the GPU tests' fixtures without a GPU: the models cover every op, plan at several batch sizes,
 * and the test-side folding is exact up to float32 rounding in the reference interpreter.
 */
class TestModelsTest {

    static List<Graph> models() {
        return List.of(TestModels.convNet(), TestModels.deconvNet(), TestModels.matmulNet());
    }

    static Map<String, Tensor> inputs(Graph g, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new HashMap<>();
        for (ValueInfo v : g.inputs()) in.put(v.name(), Tensor.random(rng, -1, 1, Shapes.bind(v.shape(), batch)));
        return in;
    }

    @Test
    void modelsCoverEveryOp() {
        Set<Class<?>> seen = new HashSet<>();
        for (Graph g : models()) for (Node n : g.nodes()) seen.add(n.op().getClass());
        for (Class<?> op : Op.class.getPermittedSubclasses()) assertTrue(seen.contains(op), "no test model uses " + op.getSimpleName());
    }

    @Test
    void modelsPlanAtSeveralBatchSizes() {
        for (Graph g : List.of(TestModels.convNet(), TestModels.deconvNet())) {
            for (int batch : new int[] {1, 2, 5}) {
                Map<String, int[]> shapes = ShapeInference.infer(g, batch);
                Map<String, Long> scratch = new HashMap<>();
                for (Node n : g.nodes()) scratch.put(n.name(), Lowering.scratchBytes(n, shapes));
                BufferPlan plan = BufferPlan.of(g, shapes, scratch);
                assertTrue(plan.arenaBytes() > 0 && plan.weightBytes() > 0);
            }
        }
    }

    @Test
    void testFoldingIsExactUpToRounding() {
        for (Graph g : List.of(TestModels.convNet(), TestModels.deconvNet())) {
            Graph folded = TestFolder.fold(g);
            assertTrue(folded.nodes().stream().noneMatch(n -> n.op() instanceof Op.BatchNorm), "all BN folded in " + g.name());
            assertTrue(folded.nodes().size() < g.nodes().size());
            var in = inputs(g, 2, 3);
            var want = ReferenceInterpreter.run(g, in);
            var got = ReferenceInterpreter.run(folded, in);
            for (var e : want.entrySet()) {
                double[] w = e.getValue().data(), f = got.get(e.getKey()).data();
                for (int i = 0; i < w.length; i++) {
                    assertTrue(Math.abs(w[i] - f[i]) <= 1e-4 + 1e-4 * Math.abs(w[i]), g.name() + " " + e.getKey() + "[" + i + "]");
                }
            }
        }
    }
}
