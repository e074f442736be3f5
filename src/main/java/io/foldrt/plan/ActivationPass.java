package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Fuses Relu/Clip into the Conv or Gemm before it; runs last, so a folded Conv+BN+ReLU is one step. */
final class ActivationPass {
    private static final FuseActivation RULE = new FuseActivation();

    private ActivationPass() {}

    static Graph run(Graph g, List<FoldReport.ActivationFusion> fused) {
        GraphIndex idx = new GraphIndex(g);
        List<FuseActivation.Pair> accepted = new ArrayList<>();
        for (Node n : g.nodes()) {
            Optional<FuseActivation.Pair> m = RULE.match(idx, n);
            if (m.isPresent() && RULE.refusal(idx, m.get()).isEmpty()) accepted.add(m.get());
        }
        if (accepted.isEmpty()) return g;
        GraphEditor ed = new GraphEditor(g);
        for (FuseActivation.Pair p : accepted) {
            Node f = RULE.apply(p);
            ed.replace(List.of(p.layer(), p.activation()), f);
            fused.add(new FoldReport.ActivationFusion(p.layer().name(), p.activation().name(),
                    FuseActivation.activationOf(p.activation()).toString()));
        }
        return ed.build();
    }
}
