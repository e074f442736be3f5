package io.foldrt.plan;

import java.util.Objects;

/**
 * What the {@link Planner} does.
 *
 * @param fold            fold BatchNorm into neighbouring Conv/ConvTranspose/Gemm/MatMul layers
 * @param fuseActivations fuse Relu/Clip into the Conv or Gemm before it
 * @param engine          computes the folded weights (all layers in one call)
 * @param probe           measure each fold's numeric error in float64 on a small seeded input
 * @param probeSeed       seed of the probe inputs
 */
public record PlanOptions(boolean fold, boolean fuseActivations, FoldEngine engine, boolean probe, long probeSeed) {

    public PlanOptions {
        Objects.requireNonNull(engine, "engine");
    }

    /** Fold on, activation fusion on, {@link CpuFoldEngine}, probe on, seed 1234. */
    public static PlanOptions defaults() {
        return new PlanOptions(true, true, new CpuFoldEngine(), true, 1234);
    }

    /**
     * BatchNorm kept as separate steps, activation fusion still on: the "separate BN" side of a benchmark,
     * so that both sides get the same Conv+ReLU treatment wherever it applies.
     */
    public static PlanOptions unfolded() {
        return new PlanOptions(false, true, new CpuFoldEngine(), true, 1234);
    }

    public PlanOptions withEngine(FoldEngine e) {
        return new PlanOptions(fold, fuseActivations, e, probe, probeSeed);
    }

    public PlanOptions withProbe(boolean p) {
        return new PlanOptions(fold, fuseActivations, engine, p, probeSeed);
    }
}
