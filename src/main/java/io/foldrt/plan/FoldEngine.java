package io.foldrt.plan;

import java.util.List;

/**
 * Does the arithmetic of folding BatchNorm into weights, for all layers of a model in one call. The planner
 * decides what to fold; an engine only computes. {@code CpuFoldEngine} works in float64 on the host; the
 * CUDA backend supplies an engine that runs the project's folding kernel on the GPU for all jobs in one
 * launch. Every engine must return float32 results of the float64 formulas:
 *
 * <pre>
 * s[c] = gamma[c] / sqrt(var[c] + eps)            (refuse var+eps <= 0 or any NaN/Inf parameter)
 * W'   = W * s[channel(W index)]                 (channel per {@link FoldJob.Layout})
 * b'[c] = (b[c] - mean[c]) * s[c] + beta[c]       (b = 0 when the layer has no bias)
 * </pre>
 */
public interface FoldEngine {
    /** For reports, e.g. "cpu float64" or "cuda kernel fold_bn (NVIDIA H100)". */
    String name();

    /** Folds every job; results are in job order. */
    List<FoldJob.Result> fold(List<FoldJob> jobs);
}
