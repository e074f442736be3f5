package io.foldrt.plan;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the planner did to every BatchNorm of a model: folded (into which layer, by which rule, with which
 * measured error) or kept (and why), plus totals. Errors are NaN where not measured (probe off, or kept).
 * {@link #toText()} renders an aligned table, {@link #toJson()} the same content as JSON.
 */
public final class FoldReport {

    /**
     * One BatchNorm.
     *
     * @param bn          the BatchNorm node's name
     * @param target      the layer it was folded into, or null when kept
     * @param folded      true when the BatchNorm is gone from the planned graph
     * @param rule        the rule(s) applied, e.g. "conv+bn", or null when kept
     * @param reason      in words: what was done, or why the BatchNorm stays
     * @param maxAbsError largest |folded - original| the probe saw (NaN if not probed)
     * @param maxRelError maxAbsError / largest |original| (NaN if not probed)
     * @param probeShape  the probe's input shape, or null if not probed
     * @param mergedInto  the Gemm a Linear→BN→Linear collapsed into, or null
     */
    public record Entry(String bn, String target, boolean folded, String rule, String reason, double maxAbsError,
                        double maxRelError, int[] probeShape, String mergedInto) {
        public Entry {
            probeShape = probeShape == null ? null : probeShape.clone();
        }

        @Override
        public int[] probeShape() {
            return probeShape == null ? null : probeShape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && bn.equals(e.bn) && Objects.equals(target, e.target)
                    && folded == e.folded && Objects.equals(rule, e.rule) && reason.equals(e.reason)
                    && Double.compare(maxAbsError, e.maxAbsError) == 0 && Double.compare(maxRelError, e.maxRelError) == 0
                    && Arrays.equals(probeShape, e.probeShape) && Objects.equals(mergedInto, e.mergedInto);
        }

        @Override
        public int hashCode() {
            return bn.hashCode() * 31 + Arrays.hashCode(probeShape);
        }
    }

    /** A Relu/Clip node fused into the Conv or Gemm before it. */
    public record ActivationFusion(String layer, String activationNode, String activation) {}

    private final String model;
    private final String engineName;
    private final List<Entry> entries;
    private final List<ActivationFusion> activationFusions;
    private final long parametersBefore;
    private final long parametersAfter;
    private final double foldMillis;
    private final double probeMillis;
    private final double planMillis;

    FoldReport(String model, String engineName, List<Entry> entries, List<ActivationFusion> activationFusions,
               long parametersBefore, long parametersAfter, double foldMillis, double probeMillis, double planMillis) {
        this.model = model;
        this.engineName = engineName;
        this.entries = List.copyOf(entries);
        this.activationFusions = List.copyOf(activationFusions);
        this.parametersBefore = parametersBefore;
        this.parametersAfter = parametersAfter;
        this.foldMillis = foldMillis;
        this.probeMillis = probeMillis;
        this.planMillis = planMillis;
    }

    /** The planned graph's name. */
    public String model() {
        return model;
    }

    /** The fold engine's {@link FoldEngine#name()}, or "none" when folding was off. */
    public String engineName() {
        return engineName;
    }

    /** One entry per BatchNorm of the original graph, in graph order. */
    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> entry(String bn) {
        return entries.stream().filter(e -> e.bn().equals(bn)).findFirst();
    }

    public List<ActivationFusion> activationFusions() {
        return activationFusions;
    }

    public int foldedCount() {
        return (int) entries.stream().filter(Entry::folded).count();
    }

    public int keptCount() {
        return entries.size() - foldedCount();
    }

    /** Elements of all initializers before planning (BatchNorm running statistics included). */
    public long parametersBefore() {
        return parametersBefore;
    }

    /** Elements of all initializers after planning. */
    public long parametersAfter() {
        return parametersAfter;
    }

    /** The largest probed absolute error over all folds; NaN when nothing was probed. */
    public double maxAbsError() {
        return max(true);
    }

    /** The largest probed relative error over all folds; NaN when nothing was probed. */
    public double maxRelError() {
        return max(false);
    }

    private double max(boolean abs) {
        double m = Double.NaN;
        for (Entry e : entries) {
            double v = abs ? e.maxAbsError() : e.maxRelError();
            if (e.probeShape() != null) m = Double.isNaN(m) ? v : Math.max(m, v);
        }
        return m;
    }

    /**
     * Wall time of the fold arithmetic: the engine's one call (0 when there was nothing to fold) plus the
     * host-side arithmetic of BN-before-conv folds and Linear merges (none in the zoo's conv models).
     */
    public double foldMillis() {
        return foldMillis;
    }

    /** Wall time of the numeric probes (0 when off). */
    public double probeMillis() {
        return probeMillis;
    }

    /** Wall time of the whole planning run, probes included. */
    public double planMillis() {
        return planMillis;
    }

    /** An aligned human-readable table. */
    public String toText() {
        return FoldReportFormat.text(this);
    }

    /** The same content as JSON (unmeasured numbers are null). */
    public String toJson() {
        return FoldReportFormat.json(this);
    }

    @Override
    public String toString() {
        return toText();
    }
}
