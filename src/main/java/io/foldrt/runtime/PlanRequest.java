package io.foldrt.runtime;

import io.foldrt.plan.FoldEngine;

/**
 * How to plan a model: fold BatchNorm into the preceding layer or keep it separate, whether to probe the fold's
 * numeric error, and which fold engine computes the weights. Mirrors the planner's {@code PlanOptions}
 * ({@code defaults()}, {@code unfolded()}, {@code withProbe}, {@code withEngine}) so that one maps onto the
 * other line by line.
 *
 * @param fold   true to fold BatchNorm (the planner's defaults), false to keep every BatchNorm separate
 * @param probe  true to have the planner measure the fold's error against the unfolded model
 * @param engine the fold engine, or null for the planner's default
 */
public record PlanRequest(boolean fold, boolean probe, FoldEngine engine) {
    /** Fold, probe on, the planner's default engine (as {@code PlanOptions.defaults()}). */
    public static PlanRequest defaults() {
        return new PlanRequest(true, true, null);
    }

    /** Keep every BatchNorm as a separate node; probe on (as {@code PlanOptions.unfolded()}). */
    public static PlanRequest unfolded() {
        return new PlanRequest(false, true, null);
    }

    public PlanRequest withProbe(boolean p) {
        return new PlanRequest(fold, p, engine);
    }

    public PlanRequest withEngine(FoldEngine e) {
        return new PlanRequest(fold, probe, e);
    }
}
