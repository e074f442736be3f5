package io.foldrt.testing;

import io.foldrt.runtime.FoldSummary;

/** A fold report with fixed values, standing in for the planner's FoldReport. */
public record FakeReport(int foldedCount, int keptCount, long parametersBefore, long parametersAfter,
                         double maxAbsError, double maxRelError, double foldMillis, String engineName)
        implements FoldSummary {
    @Override
    public String toText() {
        return "fake fold report: " + foldedCount + " folded, " + keptCount + " kept\n  bn1: folds into conv1";
    }

    @Override
    public String toJson() {
        return "{\"folded\": " + foldedCount + ", \"kept\": " + keptCount + "}";
    }
}
