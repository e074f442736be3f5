package io.foldrt.plan;

import io.foldrt.ir.Node;
import java.util.Optional;

/**
 * One graph rewrite rule. Deciding is pure and kept apart from changing the graph: {@link #match} finds
 * the rule's pattern around an anchor node, {@link #refusal} applies its guards; each rule's own apply
 * step runs only on a match that no guard refused.
 *
 * @param <M> the matched pattern (the nodes involved)
 */
interface Rewrite<M> {
    /** Short name for reports, e.g. "conv+bn". */
    String name();

    /** The pattern anchored at {@code anchor}, or empty when this rule is not about that node. */
    Optional<M> match(GraphIndex g, Node anchor);

    /** Why the matched pattern must stay as it is, or empty when it may be rewritten. */
    Optional<String> refusal(GraphIndex g, M match);
}
