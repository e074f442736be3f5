package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A mutable copy of a graph that rewrites edit, turned back into a valid immutable {@link Graph}. */
final class GraphEditor {
    private final Graph base;
    private final List<Node> nodes;
    private final Map<String, Tensor> constants;
    private final Set<String> taken = new HashSet<>(); // value, initializer and node names in use

    GraphEditor(Graph g) {
        base = g;
        nodes = new ArrayList<>(g.nodes());
        constants = new LinkedHashMap<>(g.initializers());
        taken.addAll(constants.keySet());
        for (ValueInfo v : g.inputs()) taken.add(v.name());
        for (Node n : nodes) {
            taken.add(n.name());
            taken.addAll(n.outputs());
        }
    }

    /** Adds a constant under {@code wanted}, or {@code wanted.1}, {@code .2}... if that name is in use. */
    String addConstant(String wanted, Tensor t) {
        String name = fresh(wanted);
        constants.put(name, t);
        return name;
    }

    /** {@code wanted} if no value, constant or node has that name yet, else a numbered variant. */
    String fresh(String wanted) {
        String name = wanted;
        for (int i = 1; taken.contains(name); i++) name = wanted + "." + i;
        taken.add(name);
        return name;
    }

    /**
     * Puts {@code replacement} where the first of {@code old} stood and removes them all. Valid whenever the
     * replacement reads only values available to that first node, which every rule here guarantees.
     */
    void replace(List<Node> old, Node replacement) {
        int at = Integer.MAX_VALUE;
        for (Node n : old) {
            int i = nodes.indexOf(n);
            if (i < 0) throw new IllegalStateException("node " + n.name() + " is not in the graph");
            at = Math.min(at, i);
        }
        nodes.removeAll(old);
        nodes.add(at, replacement);
        taken.add(replacement.name());
    }

    /** The constants {@code n} reads, for recording what a rewrite produced. */
    Fragment fragmentOf(Node n) {
        return Fragment.of(List.of(n), constants);
    }

    /** The edited graph, without constants that nothing reads any more (graph inputs/outputs are kept). */
    Graph build() {
        Set<String> used = new HashSet<>();
        for (Node n : nodes) used.addAll(n.inputs());
        for (ValueInfo v : base.inputs()) used.add(v.name());
        for (ValueInfo v : base.outputs()) used.add(v.name());
        Map<String, Tensor> kept = new LinkedHashMap<>();
        for (var e : constants.entrySet()) if (used.contains(e.getKey())) kept.put(e.getKey(), e.getValue());
        return new Graph(base.name(), base.inputs(), base.outputs(), nodes, kept);
    }
}
