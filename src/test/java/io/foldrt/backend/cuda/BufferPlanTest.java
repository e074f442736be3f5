package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Node;
import io.foldrt.ir.Pads;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The buffer plan against an independent liveness check: at every step, every value that is still needed
 * (and the running node's scratch) occupies memory no other such value occupies.
 */
class BufferPlanTest {

    static Graph residualModel() {
        var b = new GraphBuilder("res", 11);
        String x = b.input("x", Shapes.BATCH, 3, 16, 16);
        String stem = b.relu(b.batchNorm(b.conv(x, 8, 3, 1, 1)));
        String a = b.relu(b.batchNorm(b.conv(stem, 8, 3, 3, Hw.ONE, new Pads(0, 1, 2, 1), Hw.ONE, 1, false)));
        String a2 = b.conv(a, 8, 1, 1, 0);
        String sum = b.relu(b.add(a2, b.identity(stem)));
        String pooled = b.maxPool(sum, 2, 2, 0);
        String cat = b.concat(1, pooled, b.averagePool(sum, 2, 2, 0));
        String flat = b.flatten(b.globalAveragePool(cat));
        b.output(b.softmax(b.linear(flat, 10, true), 1));
        b.output(flat);
        return b.build();
    }

    @Test
    void liveValuesNeverShareMemory() {
        for (int batch : new int[] {1, 3}) {
            Graph g = residualModel();
            Map<String, int[]> shapes = ShapeInference.infer(g, batch);
            Map<String, Long> scratch = new HashMap<>();
            for (Node n : g.nodes()) scratch.put(n.name(), Lowering.scratchBytes(n, shapes));
            BufferPlan plan = BufferPlan.of(g, shapes, scratch);
            assertTrue(scratch.values().stream().anyMatch(s -> s > 0), "the asymmetric conv needs scratch");

            // Independent liveness: last step at which each root value is read.
            Map<String, Integer> lastUse = new HashMap<>();
            for (int i = 0; i < g.nodes().size(); i++) {
                for (String in : g.nodes().get(i).inputs()) if (!in.isEmpty()) lastUse.merge(plan.root(in), i + 1, Math::max);
            }
            for (ValueInfo o : g.outputs()) lastUse.put(plan.root(o.name()), g.nodes().size() + 1);
            Map<String, Integer> defined = new HashMap<>();
            for (ValueInfo v : g.inputs()) defined.put(v.name(), 0);
            for (int i = 0; i < g.nodes().size(); i++) {
                for (String out : g.nodes().get(i).outputs()) if (plan.root(out).equals(out)) defined.put(out, i + 1);
            }
            for (int step = 0; step <= g.nodes().size() + 1; step++) {
                List<long[]> regions = new ArrayList<>();
                List<String> names = new ArrayList<>();
                for (var e : defined.entrySet()) {
                    String v = e.getKey();
                    int last = lastUse.getOrDefault(v, e.getValue());
                    if (e.getValue() <= step && step <= last) {
                        BufferPlan.Location l = plan.location(v);
                        if (l.area() == BufferPlan.Area.ARENA) {
                            regions.add(new long[] {l.offset(), l.offset() + l.bytes()});
                            names.add(v);
                        }
                    }
                }
                if (step >= 1 && step <= g.nodes().size()) {
                    BufferPlan.Location s = plan.scratch(g.nodes().get(step - 1).name());
                    if (s != null) {
                        regions.add(new long[] {s.offset(), s.offset() + s.bytes()});
                        names.add("scratch of " + g.nodes().get(step - 1).name());
                    }
                }
                for (int i = 0; i < regions.size(); i++) {
                    long[] r = regions.get(i);
                    assertTrue(r[1] <= plan.arenaBytes());
                    assertEquals(0, r[0] % BufferPlan.ALIGNMENT);
                    for (int j = i + 1; j < regions.size(); j++) {
                        long[] q = regions.get(j);
                        assertTrue(r[1] <= q[0] || q[1] <= r[0], "step " + step + ": " + names.get(i) + " overlaps " + names.get(j));
                    }
                }
            }
        }
    }

    @Test
    void aliasesShareTheirInputsMemoryAndWeightsArePacked() {
        Graph g = residualModel();
        Map<String, int[]> shapes = ShapeInference.infer(g, 2);
        BufferPlan plan = BufferPlan.of(g, shapes, Map.of());
        for (Node n : g.nodes()) {
            if (BufferPlan.isAlias(n.op())) assertEquals(plan.location(n.input(0)), plan.location(n.output()), n.toString());
        }
        long expected = 0;
        for (var e : plan.weights().entrySet()) {
            assertEquals(expected, e.getValue().offset(), e.getKey());
            expected += (e.getValue().bytes() + 255) / 256 * 256;
        }
        assertEquals(expected, plan.weightBytes());
        assertEquals(g.initializers().size(), plan.weights().size());
        assertNull(plan.scratch("nonexistent"));
        // reuse: the arena is smaller than all activations together
        long all = 0;
        for (var e : shapes.entrySet()) if (!g.initializers().containsKey(e.getKey())) all += 4 * Shapes.elementCount(e.getValue());
        assertTrue(plan.arenaBytes() < all, plan.arenaBytes() + " vs " + all);
    }
}
