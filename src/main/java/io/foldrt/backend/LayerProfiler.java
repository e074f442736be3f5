package io.foldrt.backend;

import io.foldrt.ir.Tensor;
import java.util.Map;

/**
 * Optional capability of an {@link Executable}: time each node of the compiled graph separately, so a benchmark can
 * show where the time goes (how much the separate BatchNorm steps cost, say). Per-node timing serialises work that
 * a plain run may overlap and adds a clock read per step, so the sum can exceed a plain run's time; compare
 * per-node figures with each other, not with {@link Executable#time}.
 */
public interface LayerProfiler {
    /**
     * Runs {@code warmup} untimed then {@code iters} profiled forward passes on the same inputs.
     *
     * @return mean milliseconds per pass for each node of the compiled graph that does work, keyed by node name, in
     *         execution order; nodes that compile to nothing (Identity, Reshape, Flatten) may be absent
     */
    Map<String, Double> profileLayers(Map<String, Tensor> inputs, int warmup, int iters);
}
