package io.foldrt.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An immutable model: graph inputs and outputs, nodes in topological order, and constant initializers.
 * The constructor checks that every value is defined exactly once before it is used.
 */
public record Graph(String name, List<ValueInfo> inputs, List<ValueInfo> outputs, List<Node> nodes,
                    Map<String, Tensor> initializers) {

    public Graph {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        nodes = List.copyOf(nodes);
        initializers = Collections.unmodifiableMap(new LinkedHashMap<>(initializers));
        validate(name, inputs, outputs, nodes, initializers);
    }

    public ValueInfo input(String n) {
        for (ValueInfo v : inputs) if (v.name().equals(n)) return v;
        return null;
    }

    public boolean isGraphOutput(String value) {
        for (ValueInfo v : outputs) if (v.name().equals(value)) return true;
        return false;
    }

    /** The node that produces {@code value}, or null for graph inputs and initializers. */
    public Node producer(String value) {
        for (Node n : nodes) if (n.outputs().contains(value)) return n;
        return null;
    }

    /** Map from value name to the nodes that read it (in node order). */
    public Map<String, List<Node>> consumers() {
        Map<String, List<Node>> m = new HashMap<>();
        for (Node n : nodes) {
            for (String in : new HashSet<>(n.inputs())) {
                if (!in.isEmpty()) m.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
        }
        return m;
    }

    public long parameterCount() {
        long n = 0;
        for (Tensor t : initializers.values()) n += t.size();
        return n;
    }

    public Graph withNodes(List<Node> newNodes, Map<String, Tensor> newInitializers) {
        return new Graph(name, inputs, outputs, newNodes, newInitializers);
    }

    private static void validate(String name, List<ValueInfo> inputs, List<ValueInfo> outputs, List<Node> nodes,
                                 Map<String, Tensor> inits) {
        Set<String> defined = new HashSet<>(inits.keySet());
        for (ValueInfo v : inputs) {
            if (!defined.add(v.name()) && !inits.containsKey(v.name())) {
                throw new ModelException("graph '" + name + "': input '" + v.name() + "' is declared twice");
            }
        }
        Set<String> nodeNames = new HashSet<>();
        for (Node n : nodes) {
            if (!nodeNames.add(n.name())) {
                throw new ModelException("graph '" + name + "': node name '" + n.name() + "' is used twice");
            }
            for (String in : n.inputs()) {
                if (!in.isEmpty() && !defined.contains(in)) {
                    throw new ModelException("node '" + n.name() + "' (" + n.op().type() + ") reads '" + in
                            + "', which is not a graph input, an initializer or an earlier node's output");
                }
            }
            for (String out : n.outputs()) {
                if (out.isEmpty()) continue;
                if (!defined.add(out)) {
                    throw new ModelException("node '" + n.name() + "' writes '" + out + "', which is already defined");
                }
            }
        }
        for (ValueInfo v : outputs) {
            if (!defined.contains(v.name())) {
                throw new ModelException("graph '" + name + "': output '" + v.name() + "' is never produced");
            }
        }
    }
}
