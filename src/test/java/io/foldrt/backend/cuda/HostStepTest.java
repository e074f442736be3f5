package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.backend.reference.ReferenceInterpreter.DTensor;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Tensor;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The host fallback evaluates a node alone exactly as it is evaluated inside its graph. */
class HostStepTest {

    @Test
    void aNodeAloneGivesTheSameValueAsInItsGraph() {
        Graph g = TestModels.deconvNet();
        Map<String, Tensor> in = TestModelsTest.inputs(g, 2, 8);
        Map<String, int[]> shapes = ShapeInference.infer(g, 2);
        // every intermediate value, by running prefixes of the graph
        for (Node n : g.nodes()) {
            Graph upTo = new Graph(g.name(), g.inputs(), java.util.List.of(new io.foldrt.ir.ValueInfo(n.output(), shapes.get(n.output()))),
                    g.nodes().subList(0, g.nodes().indexOf(n) + 1), g.initializers());
            DTensor want = ReferenceInterpreter.run(upTo, in).get(n.output());
            Map<String, DTensor> values = new HashMap<>();
            for (String v : n.inputs()) {
                if (v.isEmpty()) continue;
                if (g.initializers().containsKey(v)) {
                    values.put(v, DTensor.of(g.initializers().get(v)));
                } else if (in.containsKey(v)) {
                    values.put(v, DTensor.of(in.get(v)));
                } else {
                    Node p = g.producer(v);
                    Graph prefix = new Graph(g.name(), g.inputs(), java.util.List.of(new io.foldrt.ir.ValueInfo(v, shapes.get(v))),
                            g.nodes().subList(0, g.nodes().indexOf(p) + 1), g.initializers());
                    values.put(v, ReferenceInterpreter.run(prefix, in).get(v));
                }
            }
            DTensor got = ReferenceInterpreter.runDouble(HostStep.singleNodeGraph(n, shapes), values).get(n.output());
            assertArrayEquals(want.shape(), got.shape(), n.name());
            assertArrayEquals(want.data(), got.data(), 0.0, n.name());
        }
        assertEquals(4, new HostStep.Slot("x", new int[] {1}, 0, 0).bytes());
    }
}
