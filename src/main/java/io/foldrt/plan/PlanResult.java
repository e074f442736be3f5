package io.foldrt.plan;

import io.foldrt.ir.Graph;

/**
 * What the {@link Planner} produced.
 *
 * @param graph  the rewritten graph: same inputs and outputs (names and shapes) as the one planned
 * @param report what happened to every BatchNorm, with measured errors
 */
public record PlanResult(Graph graph, FoldReport report) {}
