package io.foldrt.plan;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The checks every fold shares, each a pure function returning the reason to refuse (empty = passes).
 * They follow ONNX Runtime's and PyTorch's conditions: constants only, a private intermediate value,
 * inference-form BatchNorm, weights not shared.
 */
final class Guards {
    private Guards() {}

    /** Extra non-empty outputs carry the batch mean/var of a training-mode BN. */
    static Optional<String> inferenceForm(Node bn) {
        List<String> extra = bn.outputs().subList(1, bn.outputs().size());
        for (String o : extra) {
            if (!o.isEmpty()) {
                return Optional.of("BatchNorm " + GraphIndex.describe(bn) + " has training outputs " + extra
                        + "; only inference-form BatchNorm is folded");
            }
        }
        return Optional.empty();
    }

    /** scale, B, mean and var must be baked-in constants. */
    static Optional<String> constantStats(GraphIndex g, Node bn) {
        for (int i = 1; i <= 4; i++) {
            String p = bn.input(i);
            if (!g.isConstant(p)) {
                return Optional.of("BatchNorm input " + BnAffine.ROLES.get(i - 1) + " '" + p
                        + "' is not a constant initializer");
            }
        }
        return Optional.empty();
    }

    /**
     * {@code value} is read by {@code reader} alone and is not a graph output, so rewriting it away is
     * invisible to the rest of the graph.
     */
    static Optional<String> privateEdge(GraphIndex g, String value, Node reader) {
        if (g.isGraphOutput(value)) return Optional.of("'" + value + "' is a graph output and must stay visible");
        List<Node> rs = g.readers(value);
        if (rs.size() != 1 || rs.get(0) != reader) {
            return Optional.of("'" + value + "' is also read by " + others(rs, reader)
                    + "; folding would change what they see");
        }
        return Optional.empty();
    }

    /** A weight or bias the fold replaces: constant, and read by {@code owner} only. */
    static Optional<String> ownedConstant(GraphIndex g, String value, Node owner, String role) {
        if (!g.isConstant(value)) {
            return Optional.of(role + " '" + value + "' of " + GraphIndex.describe(owner)
                    + " is not a constant initializer");
        }
        List<Node> rs = g.readers(value);
        if (rs.size() != 1) {
            return Optional.of(role + " '" + value + "' is shared with " + others(rs, owner)
                    + "; folding would need a private copy");
        }
        return Optional.empty();
    }

    /** A layer whose output already goes through a fused activation no longer feeds the BN linearly. */
    static Optional<String> noFusedActivation(Node layer) {
        Activation a = switch (layer.op()) {
            case Op.Conv c -> c.activation();
            case Op.Gemm gm -> gm.activation();
            default -> Activation.NONE;
        };
        if (a.kind() != Activation.Kind.NONE) {
            return Optional.of(GraphIndex.describe(layer) + " has a fused " + a + " before the BatchNorm");
        }
        return Optional.empty();
    }

    /** The first refusal among {@code checks}, evaluated in order. */
    @SafeVarargs
    static Optional<String> first(Supplier<Optional<String>>... checks) {
        for (var c : checks) {
            Optional<String> r = c.get();
            if (r.isPresent()) return r;
        }
        return Optional.empty();
    }

    private static String others(List<Node> readers, Node except) {
        StringBuilder sb = new StringBuilder();
        for (Node n : readers) {
            if (n == except) continue;
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(GraphIndex.describe(n));
        }
        return sb.isEmpty() ? "no other node" : sb.toString();
    }
}
