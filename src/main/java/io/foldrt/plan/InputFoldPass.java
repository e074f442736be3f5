package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Folds each BatchNorm that is still in the graph into the input channels of an unpadded Conv after it. */
final class InputFoldPass {
    private static final BnConvFold RULE = new BnConvFold();

    private InputFoldPass() {}

    static Graph run(Graph g, Ledger ledger) {
        GraphIndex idx = new GraphIndex(g);
        List<BnConvFold.Pair> accepted = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.BatchNorm)) continue;
            Ledger.Draft d = ledger.draft(n.name());
            Optional<BnConvFold.Pair> m = RULE.match(idx, n);
            if (m.isEmpty()) continue;
            Optional<String> no = RULE.refusal(idx, m.get());
            if (no.isPresent()) d.refusals.add(no.get());
            else accepted.add(m.get());
        }
        if (accepted.isEmpty()) return g;
        // Independent: each conv reads one data input, so no two accepted pairs share a node.
        GraphEditor ed = new GraphEditor(g);
        for (BnConvFold.Pair p : accepted) {
            long t0 = System.nanoTime();
            Node conv = RULE.apply(idx, p, ed);
            ledger.foldMillis += (System.nanoTime() - t0) / 1e6;
            List<Node> replaced = List.of(p.bn(), p.conv());
            ed.replace(replaced, conv);
            ledger.rewrote(p.bn().name(), replaced, conv, ed.fragmentOf(conv));
            Ledger.Draft d = ledger.draft(p.bn().name());
            d.folded = true;
            d.target = p.conv().name();
            d.rule = RULE.name();
            d.detail = "folded into the input channels of " + GraphIndex.describe(p.conv()) + " (no padding)";
        }
        return ed.build();
    }
}
