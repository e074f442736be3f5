package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.foldrt.ir.ModelException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Orders ONNX nodes so that every value is produced before it is read (ONNX requires this order, but not
 * every writer keeps it). Stable: nodes already in order keep their order. Also finds values that are read
 * but never defined, defined twice, or depend on themselves.
 */
final class TopoSort {
    private TopoSort() {}

    /**
     * @param available  graph inputs and initializers
     * @return node indices in an order where producers come first
     */
    static int[] order(List<NodeProto> nodes, Set<String> available) {
        int n = nodes.size();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < n; i++) {
            for (String out : nodes.get(i).getOutputList()) {
                if (out.isEmpty()) continue;
                if (available.contains(out)) {
                    throw new ModelException(label(nodes.get(i), i) + " writes " + q(out)
                            + ", which is already a graph input or initializer");
                }
                Integer prev = producer.putIfAbsent(out, i);
                if (prev != null) {
                    throw new ModelException("value " + q(out) + " is written by both " + label(nodes.get(prev), prev)
                            + " and " + label(nodes.get(i), i));
                }
            }
        }
        int[] pending = new int[n];
        List<Set<Integer>> dependsOn = new ArrayList<>(n);
        Map<Integer, List<Integer>> readers = new HashMap<>();
        for (int i = 0; i < n; i++) {
            Set<Integer> deps = new HashSet<>();
            for (String in : nodes.get(i).getInputList()) {
                if (in.isEmpty() || available.contains(in)) continue;
                Integer p = producer.get(in);
                if (p == null) {
                    throw new ModelException(label(nodes.get(i), i) + " reads " + q(in)
                            + ", which is not a graph input, an initializer or any node's output");
                }
                deps.add(p);
            }
            pending[i] = deps.size();
            dependsOn.add(deps);
            for (int p : deps) readers.computeIfAbsent(p, k -> new ArrayList<>()).add(i);
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < n; i++) if (pending[i] == 0) ready.add(i);
        int[] order = new int[n];
        int done = 0;
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order[done++] = i;
            for (int r : readers.getOrDefault(i, List.of())) if (--pending[r] == 0) ready.add(r);
        }
        if (done < n) {
            int i = 0;
            while (pending[i] == 0) i++;
            // Walk back through unfinished producers until one repeats: that node lies on the cycle.
            Set<Integer> seen = new HashSet<>();
            while (seen.add(i)) {
                for (int p : dependsOn.get(i)) {
                    if (pending[p] > 0) {
                        i = p;
                        break;
                    }
                }
            }
            throw new ModelException(label(nodes.get(i), i) + " depends on its own output (the graph has a cycle)");
        }
        return order;
    }

    /** "node 'name' (Type)", or "node #i (Type)" for an unnamed node. */
    static String label(NodeProto p, int index) {
        String name = p.getName().isEmpty() ? "#" + index : q(p.getName());
        return "node " + name + " (" + p.getOpType() + ")";
    }
}
