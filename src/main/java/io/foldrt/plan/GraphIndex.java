package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Read-only lookups on one graph snapshot: producers, readers, constants, graph outputs. */
final class GraphIndex {
    final Graph graph;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> readers;
    private final Set<String> graphInputs = new HashSet<>();
    private final Set<String> graphOutputs = new HashSet<>();
    private Map<String, int[]> shapes;

    GraphIndex(Graph g) {
        this.graph = g;
        for (Node n : g.nodes()) for (String o : n.outputs()) if (!o.isEmpty()) producers.put(o, n);
        readers = g.consumers();
        for (ValueInfo v : g.inputs()) graphInputs.add(v.name());
        for (ValueInfo v : g.outputs()) graphOutputs.add(v.name());
    }

    /** The node writing {@code value}, or null for graph inputs and initializers. */
    Node producer(String value) {
        return producers.get(value);
    }

    /** The nodes reading {@code value}, each once, in graph order. */
    List<Node> readers(String value) {
        return readers.getOrDefault(value, List.of());
    }

    boolean isGraphOutput(String value) {
        return graphOutputs.contains(value);
    }

    /**
     * True for an initializer that is not also a graph input: ONNX lets a caller override an initializer
     * that is listed as an input, so only the others are constants a fold may bake in.
     */
    boolean isConstant(String value) {
        return !value.isEmpty() && graph.initializers().containsKey(value) && !graphInputs.contains(value);
    }

    Tensor constant(String value) {
        return graph.initializers().get(value);
    }

    /** Shapes of every value at batch 1 (computed on first use). */
    int[] shape(String value) {
        if (shapes == null) shapes = ShapeInference.infer(graph, 1);
        return shapes.get(value).clone();
    }

    /** Runs shape inference now, so that an inconsistent graph is refused before any rewrite. */
    GraphIndex checkShapes() {
        if (shapes == null) shapes = ShapeInference.infer(graph, 1);
        return this;
    }

    static String describe(Node n) {
        return "'" + n.name() + "' (" + n.op().type() + ")";
    }
}
