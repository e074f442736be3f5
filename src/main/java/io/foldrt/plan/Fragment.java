package io.foldrt.plan;

import io.foldrt.ir.Node;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A few connected nodes in graph order with the constants they read: one side of a rewrite, for probing. */
record Fragment(List<Node> nodes, Map<String, Tensor> constants) {
    Fragment {
        nodes = List.copyOf(nodes);
        constants = Map.copyOf(constants);
    }

    /** The nodes with the constants they read from {@code available}. */
    static Fragment of(List<Node> nodes, Map<String, Tensor> available) {
        Map<String, Tensor> used = new LinkedHashMap<>();
        for (Node n : nodes) {
            for (String in : n.inputs()) if (available.containsKey(in)) used.put(in, available.get(in));
        }
        return new Fragment(nodes, used);
    }

    Fragment then(Fragment next) {
        List<Node> ns = new ArrayList<>(nodes);
        ns.addAll(next.nodes);
        Map<String, Tensor> cs = new LinkedHashMap<>(constants);
        cs.putAll(next.constants);
        return new Fragment(ns, cs);
    }

    /** The one value read from outside (neither produced inside nor a constant). */
    String input() {
        Set<String> made = new HashSet<>();
        String found = null;
        for (Node n : nodes) {
            for (String in : n.inputs()) {
                if (in.isEmpty() || made.contains(in) || constants.containsKey(in)) continue;
                if (found != null && !found.equals(in)) {
                    throw new IllegalStateException("fragment " + nodes + " reads both '" + found + "' and '" + in + "'");
                }
                found = in;
            }
            made.addAll(n.outputs());
        }
        if (found == null) throw new IllegalStateException("fragment " + nodes + " reads no outside value");
        return found;
    }

    /** The value the fragment stands for: its last node's first output. */
    String output() {
        return nodes.get(nodes.size() - 1).output();
    }
}
