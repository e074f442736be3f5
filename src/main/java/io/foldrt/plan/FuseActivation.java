package io.foldrt.plan;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import java.util.Optional;

/** Conv or Gemm → Relu or Clip becomes the Conv/Gemm with that {@link Activation} fused in. */
final class FuseActivation implements Rewrite<FuseActivation.Pair> {

    record Pair(Node layer, Node activation) {}

    @Override
    public String name() {
        return "activation fusion";
    }

    @Override
    public Optional<Pair> match(GraphIndex g, Node layer) {
        if (!(layer.op() instanceof Op.Conv || layer.op() instanceof Op.Gemm)) return Optional.empty();
        for (Node r : g.readers(layer.output())) {
            if (r.op() instanceof Op.Relu || r.op() instanceof Op.Clip) return Optional.of(new Pair(layer, r));
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> refusal(GraphIndex g, Pair p) {
        return Guards.first(
                () -> Guards.noFusedActivation(p.layer()),
                () -> Guards.privateEdge(g, p.layer().output(), p.activation()));
    }

    static Activation activationOf(Node act) {
        return switch (act.op()) {
            case Op.Relu r -> Activation.RELU;
            case Op.Clip c -> Activation.clip(c.min(), c.max());
            default -> throw new IllegalArgumentException(act.name() + " is not an activation");
        };
    }

    /** The layer computing the activation itself and writing the activation's output. */
    Node apply(Pair p) {
        Node layer = p.layer();
        Activation a = activationOf(p.activation());
        Op op = switch (layer.op()) {
            case Op.Conv c -> c.withActivation(a);
            case Op.Gemm gm -> gm.withActivation(a);
            default -> throw new IllegalStateException("not a Conv or Gemm: " + layer);
        };
        return new Node(layer.name(), op, layer.inputs(), p.activation().outputs());
    }
}
