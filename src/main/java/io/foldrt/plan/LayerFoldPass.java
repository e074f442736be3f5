package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Folds every BatchNorm that follows a Conv, ConvTranspose, Gemm or MatMul into that layer. All matches
 * are decided on one snapshot first, then the engine computes every job in a single call (one launch for
 * a GPU engine), then the graph is rewritten.
 */
final class LayerFoldPass {
    static final List<LayerBnFold> RULES =
            List.of(new ConvBnFold(), new ConvTransposeBnFold(), new GemmBnFold(), new MatMulBnFold());

    private LayerFoldPass() {}

    static Graph run(GraphIndex idx, Ledger ledger, FoldEngine engine) {
        Graph g = idx.graph;
        List<LayerBnFold> rules = new ArrayList<>();
        List<LayerBn> matches = new ArrayList<>();
        List<FoldJob> jobs = new ArrayList<>();
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.BatchNorm)) continue;
            for (LayerBnFold r : RULES) {
                Optional<LayerBn> m = r.match(idx, n);
                if (m.isEmpty()) continue;
                Optional<String> no = r.refusal(idx, m.get());
                if (no.isPresent()) {
                    ledger.draft(n.name()).refusals.add(no.get());
                } else {
                    checkStatistics(idx, n);
                    rules.add(r);
                    matches.add(m.get());
                    jobs.add(r.job(idx, m.get()));
                }
                break;
            }
        }
        long t0 = System.nanoTime();
        List<FoldJob.Result> results = jobs.isEmpty() ? List.of() : engine.fold(jobs);
        ledger.foldMillis += (System.nanoTime() - t0) / 1e6;
        if (results.size() != jobs.size()) {
            throw new IllegalStateException("fold engine '" + engine.name() + "' returned " + results.size()
                    + " results for " + jobs.size() + " jobs");
        }

        GraphEditor ed = new GraphEditor(g);
        for (int i = 0; i < jobs.size(); i++) {
            LayerBnFold r = rules.get(i);
            LayerBn m = matches.get(i);
            Node layer = m.layer(), bn = m.bn();
            String wName = ed.addConstant(layer.input(1) + "_folded", results.get(i).weight());
            String bBase = layer.input(2).isEmpty() ? layer.name() + ".bias" : layer.input(2);
            String bName = ed.addConstant(bBase + "_folded", results.get(i).bias());
            Node f = r.folded(layer, wName, bName, bn.output());
            ed.replace(List.of(layer, bn), f);
            ledger.rewrote(bn.name(), List.of(layer, bn), f, ed.fragmentOf(f));
            Ledger.Draft d = ledger.draft(bn.name());
            d.folded = true;
            d.target = layer.name();
            d.rule = r.name();
            d.detail = r.detail(m);
        }
        return ed.build();
    }

    /** Bad statistics are an error in the model, not a reason to keep the BN: say which BN and channel. */
    static void checkStatistics(GraphIndex g, Node bn) {
        List<String> names = List.of(bn.input(1), bn.input(2), bn.input(3), bn.input(4));
        BnAffine.of("BatchNorm '" + bn.name() + "'", names, g.constant(bn.input(1)), g.constant(bn.input(2)),
                g.constant(bn.input(3)), g.constant(bn.input(4)), ((Op.BatchNorm) bn.op()).epsilon());
    }
}
