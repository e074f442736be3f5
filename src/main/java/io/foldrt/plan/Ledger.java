package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What happened to each BatchNorm during one planning run, and, for every node a rewrite created, which
 * original nodes it stands for, so that each rewrite can later be probed against the untouched original.
 */
final class Ledger {

    /** One rewrite: the original nodes (with their constants) and the node that now stands for them. */
    record Step(Fragment before, Fragment after) {}

    /** The mutable record of one BatchNorm, turned into a {@link FoldReport.Entry} at the end. */
    static final class Draft {
        final String bn;
        /** The BN's output value; a fold makes the new layer write it. */
        final String output;
        String target;
        String rule;
        String detail;
        String mergedInto;
        boolean folded;
        final List<String> refusals = new ArrayList<>();
        /** Each rewrite done for this BN, in order. */
        final List<Step> steps = new ArrayList<>();

        Draft(Node bn) {
            this.bn = bn.name();
            this.output = bn.output();
        }

        String reason() {
            return folded ? detail : String.join("; ", refusals);
        }
    }

    /** Wall time spent computing folded weights: the engine call plus host-side input folds and merges. */
    double foldMillis;

    private final Graph original;
    private final Map<String, Draft> drafts = new LinkedHashMap<>();
    private final Map<String, Fragment> origins = new HashMap<>(); // node name in current graph -> original nodes

    Ledger(Graph original) {
        this.original = original;
        for (Node n : original.nodes()) if (n.op() instanceof Op.BatchNorm) drafts.put(n.name(), new Draft(n));
    }

    Collection<Draft> drafts() {
        return drafts.values();
    }

    Draft draft(String bn) {
        return drafts.get(bn);
    }

    /** The original nodes (with their constants) that {@code current} stands for. */
    Fragment origin(Node current) {
        Fragment f = origins.get(current.name());
        return f != null ? f : Fragment.of(List.of(current), original.initializers());
    }

    /**
     * Records that {@code replaced} (nodes of the graph being edited, in graph order) became {@code after}
     * on behalf of BatchNorm {@code bn}.
     */
    void rewrote(String bn, List<Node> replaced, Node replacement, Fragment after) {
        Fragment before = null;
        for (Node n : replaced) {
            Fragment o = origin(n);
            before = before == null ? o : before.then(o);
            origins.remove(n.name());
        }
        origins.put(replacement.name(), before);
        drafts.get(bn).steps.add(new Step(before, after));
    }
}
