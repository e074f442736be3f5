package io.foldrt.plan;

import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.Optional;

/**
 * Folds a BatchNorm into the output channels of the layer before it. Subclasses say which layer op they
 * take, how its weight maps to output channels, and how the folded layer looks; the guards and the
 * {@link FoldJob} are the same for all of them.
 */
abstract class LayerBnFold implements Rewrite<LayerBn> {

    /** True for the layer op this rule folds into. */
    abstract boolean accepts(Op op);

    /** How the weight's elements map to the layer's output channels. */
    abstract FoldJob.Layout layout(Node layer, Tensor weight);

    /** The folded layer: reads {@code weight} and {@code bias}, writes {@code output} (the BN's output). */
    abstract Node folded(Node layer, String weight, String bias, String output);

    /** Rule-specific guards; empty when the layer qualifies. */
    Optional<String> layerRefusal(GraphIndex g, LayerBn m) {
        return Optional.empty();
    }

    /** The bias the fold starts from (null when the layer has none). */
    Tensor bias(GraphIndex g, Node layer) {
        return layer.input(2).isEmpty() ? null : g.constant(layer.input(2));
    }

    /** Words for the report about this fold. */
    String detail(LayerBn m) {
        String s = "folded into " + GraphIndex.describe(m.layer());
        return m.layer().input(2).isEmpty() ? s + "; it had no bias, the BN shift became one" : s;
    }

    @Override
    public Optional<LayerBn> match(GraphIndex g, Node bn) {
        if (!(bn.op() instanceof Op.BatchNorm)) return Optional.empty();
        Node layer = g.producer(bn.input(0));
        return layer != null && accepts(layer.op()) ? Optional.of(new LayerBn(layer, bn)) : Optional.empty();
    }

    @Override
    public final Optional<String> refusal(GraphIndex g, LayerBn m) {
        Node layer = m.layer(), bn = m.bn();
        return Guards.first(
                () -> Guards.inferenceForm(bn),
                () -> Guards.constantStats(g, bn),
                () -> Guards.noFusedActivation(layer),
                () -> Guards.privateEdge(g, layer.output(), bn),
                () -> Guards.ownedConstant(g, layer.input(1), layer, "weight"),
                () -> layer.input(2).isEmpty() ? Optional.empty()
                        : Guards.ownedConstant(g, layer.input(2), layer, "bias"),
                () -> layerRefusal(g, m));
    }

    /** The arithmetic for the engine; call only on an unrefused match. */
    final FoldJob job(GraphIndex g, LayerBn m) {
        Node layer = m.layer(), bn = m.bn();
        Tensor w = g.constant(layer.input(1));
        FoldJob.Layout l = layout(layer, w);
        Tensor gamma = g.constant(bn.input(1));
        // Shape inference (run before any rule) ties BN channels to the layer output; this only guards the rules.
        if (l.outputChannels() != gamma.size()) {
            throw new IllegalStateException(name() + ": layout " + l + " of " + layer.name() + " vs BN channels "
                    + gamma.size());
        }
        return new FoldJob(layer.name(), w, bias(g, layer), l, gamma, g.constant(bn.input(2)),
                g.constant(bn.input(3)), g.constant(bn.input(4)), ((Op.BatchNorm) bn.op()).epsilon());
    }
}
