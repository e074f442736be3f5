package io.foldrt.runtime;

/**
 * What the runtime and CLI read from a fold report. The method names are those of the planner's
 * {@code io.foldrt.plan.FoldReport}, so that report can implement this interface directly (or be adapted in
 * {@link StandardModelTools}).
 */
public interface FoldSummary {
    /** BatchNorm nodes folded into the layer before them. */
    int foldedCount();

    /** BatchNorm nodes kept as separate nodes (for example: the producer has another consumer). */
    int keptCount();

    long parametersBefore();

    long parametersAfter();

    /** Largest absolute difference between the folded and unfolded model measured by the planner's probe; NaN if not measured. */
    double maxAbsError();

    /** Largest relative difference measured by the probe; NaN if not measured. */
    double maxRelError();

    /** Time spent computing folded weights, in milliseconds. */
    double foldMillis();

    /** The fold engine that computed the weights, e.g. "cpu float64". */
    String engineName();

    /** Human-readable, multi-line per-layer report: which BatchNorms fold or stay, and why. */
    String toText();

    /** The same report as a JSON document. */
    String toJson();
}
