package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import java.util.List;
import java.util.Optional;

/**
 * After folding, merges each Gemm that took a BatchNorm with the Gemm right after it (Linear→BN→Linear); the
 * weight product runs on the planner's {@link FoldEngine} (on the GPU with the CUDA engine).
 */
final class CollapsePass {
    private static final GemmCollapse RULE = new GemmCollapse();

    private CollapsePass() {}

    static Graph run(Graph g, Ledger ledger, FoldEngine engine) {
        Graph cur = g;
        GraphIndex idx = new GraphIndex(cur);
        for (Ledger.Draft d : ledger.drafts()) {
            if (!d.folded) continue;
            // The layer that took the BN now writes its output; the rule matches only when that is a Gemm.
            Node first = idx.producer(d.output);
            Optional<GemmCollapse.Pair> m = first == null ? Optional.empty() : RULE.match(idx, first);
            if (m.isEmpty()) continue;
            Node second = m.get().second();
            Optional<String> no = RULE.refusal(idx, m.get());
            if (no.isPresent()) {
                d.detail += "; not merged with " + GraphIndex.describe(second) + ": " + no.get();
                continue;
            }
            GraphEditor ed = new GraphEditor(cur);
            long t0 = System.nanoTime();
            Node merged = RULE.apply(idx, m.get(), ed, engine);
            ledger.foldMillis += (System.nanoTime() - t0) / 1e6;
            ed.replace(List.of(first, second), merged);
            ledger.rewrote(d.bn, List.of(first, second), merged, ed.fragmentOf(merged));
            d.rule += ", " + RULE.name();
            d.mergedInto = merged.name();
            d.detail += "; then merged with " + GraphIndex.describe(second) + " into one Gemm '" + merged.name() + "'";
            cur = ed.build();
            idx = new GraphIndex(cur);
        }
        return cur;
    }
}
