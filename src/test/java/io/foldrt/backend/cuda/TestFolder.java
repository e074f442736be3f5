package io.foldrt.backend.cuda;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.FoldJob;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A minimal test-side folding pass (the real one belongs to the planner): Conv / ConvTranspose / Gemm
 * followed by a BatchNorm that is its only consumer becomes one layer with folded weights and bias, and a
 * following Relu or Clip becomes the fused activation of a Conv or Gemm. Arithmetic by {@link HostFold}.
 */
final class TestFolder {
    private TestFolder() {}

    static Graph fold(Graph g) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        Set<Node> removed = new HashSet<>();
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (removed.contains(n)) continue;
            Node bn = only(consumers, g, n.output());
            if (bn == null || !(bn.op() instanceof Op.BatchNorm b) || !foldable(n, g)) {
                nodes.add(n);
                continue;
            }
            Tensor w = g.initializers().get(n.input(1));
            Tensor bias = n.input(2).isEmpty() ? null : g.initializers().get(n.input(2));
            FoldJob job = new FoldJob(n.name(), w, bias, layout(n, w), g.initializers().get(bn.input(1)),
                    g.initializers().get(bn.input(2)), g.initializers().get(bn.input(3)), g.initializers().get(bn.input(4)),
                    b.epsilon());
            FoldJob.Result r = HostFold.fold(List.of(job)).getFirst();
            inits.put(n.name() + ".folded_weight", r.weight());
            inits.put(n.name() + ".folded_bias", r.bias());
            removed.add(bn);
            String out = bn.output();
            Op op = n.op();
            Node act = only(consumers, g, bn.output());
            Activation fused = act == null ? null : switch (act.op()) {
                case Op.Relu x -> Activation.RELU;
                case Op.Clip c -> Activation.clip(c.min(), c.max());
                default -> null;
            };
            if (fused != null && (op instanceof Op.Conv || op instanceof Op.Gemm)) {
                removed.add(act);
                out = act.output();
                op = op instanceof Op.Conv c ? c.withActivation(fused) : ((Op.Gemm) op).withActivation(fused);
            }
            nodes.add(new Node(n.name(), op, List.of(n.input(0), n.name() + ".folded_weight", n.name() + ".folded_bias"),
                    List.of(out)));
        }
        return new Graph(g.name() + "-folded", g.inputs(), g.outputs(), nodes, inits);
    }

    private static boolean foldable(Node n, Graph g) {
        if (!g.initializers().containsKey(n.input(1))) return false;
        return switch (n.op()) {
            case Op.Conv c -> true;
            case Op.ConvTranspose c -> true;
            case Op.Gemm gm -> gm.alpha() == 1f && gm.beta() == 1f && !gm.transA();
            default -> false;
        };
    }

    private static FoldJob.Layout layout(Node n, Tensor w) {
        int[] s = w.shape();
        return switch (n.op()) {
            case Op.Conv c -> new FoldJob.Layout(1, s[0], s[1] * s[2] * s[3], 1);
            case Op.ConvTranspose c -> new FoldJob.Layout(s[0], s[1], s[2] * s[3], c.group());
            case Op.Gemm gm -> gm.transB() ? new FoldJob.Layout(1, s[0], s[1], 1) : new FoldJob.Layout(s[0], s[1], 1, 1);
            default -> throw new IllegalArgumentException(n.toString());
        };
    }

    /** The single consumer of {@code value}, or null if it has several, none, or is a graph output. */
    private static Node only(Map<String, List<Node>> consumers, Graph g, String value) {
        List<Node> c = consumers.get(value);
        return c != null && c.size() == 1 && !g.isGraphOutput(value) ? c.getFirst() : null;
    }
}
