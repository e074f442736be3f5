package io.foldrt.plan;

import io.foldrt.ir.Tensor;
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
 *
 * <p>Engines also compute the weight product of a Linear→BN→Linear collapse ({@link #multiply}).
 */
public interface FoldEngine {
    /** For reports, e.g. "cpu float64" or "cuda kernel fold_bn (NVIDIA H100)". */
    String name();

    /** Folds every job; results are in job order. */
    List<FoldJob.Result> fold(List<FoldJob> jobs);

    /**
     * The matrix product {@code C = alpha · op(A) · op(B)} of two row-major float32 matrices, where
     * {@code op(X)} is X, or X transposed when its flag is set; {@code op(A)} is [M, K], {@code op(B)} is
     * [K, N] and the result is a new row-major float32 tensor [M, N]. Every element is accumulated in
     * float64 and rounded to float32 once, after the multiplication by {@code alpha}; engines may sum in any
     * order (so results may differ from this host default by float64 rounding, far below one float32 ulp
     * except where the sum cancels to almost zero). This default computes on the host, summing over K in
     * ascending order.
     *
     * @throws IllegalArgumentException if an operand is not a matrix or the inner dimensions differ
     */
    default Tensor multiply(Tensor a, boolean transA, Tensor b, boolean transB, double alpha) {
        return HostProduct.multiply(a, transA, b, transB, alpha);
    }
}
