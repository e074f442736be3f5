package io.foldrt.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Compares a planned graph with its original through the float64 reference interpreter. The planned graph's
 * float32 weights are widened to float64, so the only difference left is the rounding of the folded weights
 * to float32 (relative ~6e-8 each).
 */
final class Numerics {
    /**
     * Relative L2 error allowed between folded and unfolded outputs: the spec's float32 tolerance (1e-4),
     * not tuned to the implementation; folding errors observed are around 1e-7.
     */
    static final double TOLERANCE = 1e-4;

    private Numerics() {}

    static Map<String, Tensor> randomInputs(Graph g, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new HashMap<>();
        for (ValueInfo v : g.inputs()) {
            if (!g.initializers().containsKey(v.name())) {
                in.put(v.name(), Tensor.random(rng, -1f, 1f, Shapes.bind(v.shape(), batch)));
            }
        }
        return in;
    }

    /** The largest relative L2 difference over the graph outputs, ||b - a|| / ||a||. */
    static double relL2(Graph original, Graph planned, Map<String, Tensor> inputs) {
        var a = ReferenceInterpreter.run(original, inputs);
        var b = ReferenceInterpreter.run(planned, inputs);
        assertEquals(a.keySet(), b.keySet(), "graph outputs changed");
        double worst = 0;
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k).shape(), b.get(k).shape(), "shape of output " + k);
            double[] x = a.get(k).data(), y = b.get(k).data();
            double diff = 0, norm = 0;
            for (int i = 0; i < x.length; i++) {
                diff += (y[i] - x[i]) * (y[i] - x[i]);
                norm += x[i] * x[i];
            }
            assertTrue(norm > 0, "output " + k + " is all zeros: the comparison would prove nothing");
            worst = Math.max(worst, Math.sqrt(diff / norm));
        }
        return worst;
    }

    /** Asserts same outputs (names and declared shapes) and relative L2 within {@link #TOLERANCE} at batch 2. */
    static void assertEquivalent(Graph original, Graph planned) {
        assertEquals(original.inputs(), planned.inputs(), "graph inputs changed");
        assertEquals(original.outputs(), planned.outputs(), "graph outputs changed");
        double e = relL2(original, planned, randomInputs(original, 2, 99)); // batch 2 where the batch is symbolic
        assertTrue(e <= TOLERANCE, "relative L2 error " + e + " > " + TOLERANCE);
    }

    static long count(Graph g, Class<? extends Op> type) {
        return g.nodes().stream().filter(n -> type.isInstance(n.op())).count();
    }

    static Node node(Graph g, String name) {
        return g.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }
}
