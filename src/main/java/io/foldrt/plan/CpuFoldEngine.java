package io.foldrt.plan;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The host fold engine: float64 arithmetic, float32 results, exactly the formulas of {@link FoldEngine}.
 * Refuses (with a {@link ModelException} naming the layer, the tensor and the index) any NaN/Inf input,
 * var + eps &lt;= 0, and a folded value that overflows float32, so that no fold loses accuracy silently.
 */
public final class CpuFoldEngine implements FoldEngine {

    @Override
    public String name() {
        return "cpu float64";
    }

    @Override
    public List<FoldJob.Result> fold(List<FoldJob> jobs) {
        List<FoldJob.Result> out = new ArrayList<>(jobs.size());
        for (FoldJob j : jobs) out.add(fold(j));
        return out;
    }

    private static FoldJob.Result fold(FoldJob j) {
        String who = "fold of layer '" + j.layer() + "'";
        FoldJob.Layout l = j.layout();
        checkLayout(who, j);
        BnAffine bn = BnAffine.of(who, BnAffine.ROLES, j.gamma(), j.beta(), j.mean(), j.var(), j.epsilon());
        if (j.bias() != null) requireFinite(who, "bias", j.bias().data(), j.bias().data());

        // Walk the [outer, channels, inner] view in order (no per-element division) and check each row
        // while it is still in cache: a NaN/Inf weight or a float32 overflow shows as a non-finite result.
        float[] w = j.weight().data(), wOut = new float[w.length];
        int outerPerGroup = l.outer() / l.groups();
        int inner = l.inner();
        for (int o = 0, i = 0; o < l.outer(); o++) {
            int base = (o / outerPerGroup) * l.channels();
            for (int c = 0; c < l.channels(); c++, i += inner) {
                if (!scaleRow(w, wOut, i, i + inner, bn.scale()[base + c])) requireFinite(who, "weight", w, wOut);
            }
        }

        int m = l.outputChannels();
        float[] beta = j.beta().data(), mean = j.mean().data(), bOut = new float[m];
        float[] b = j.bias() == null ? null : j.bias().data();
        for (int c = 0; c < m; c++) {
            double bc = b == null ? 0.0 : b[c];
            bOut[c] = (float) ((bc - mean[c]) * bn.scale()[c] + beta[c]);
        }
        requireFinite(who, "bias", b, bOut);
        return new FoldJob.Result(new Tensor(j.weight().shape(), wOut), Tensor.of(new int[] {m}, bOut));
    }

    /**
     * out[from..to) = (float) (w * s); false if a result is not finite (NaN/Inf weight or float32 overflow).
     * A method of its own so the JIT compiles it after a few calls instead of waiting for loop-based OSR.
     */
    private static boolean scaleRow(float[] w, float[] out, int from, int to, double s) {
        for (int k = from; k < to; k++) out[k] = (float) (w[k] * s);
        for (int k = from; k < to; k++) if (!Float.isFinite(out[k])) return false;
        return true;
    }

    private static void checkLayout(String who, FoldJob j) {
        FoldJob.Layout l = j.layout();
        if (l.outer() <= 0 || l.channels() <= 0 || l.inner() <= 0 || l.groups() <= 0 || l.outer() % l.groups() != 0) {
            throw new ModelException(who + ": invalid layout " + l);
        }
        long expected = (long) l.outer() * l.channels() * l.inner();
        if (j.weight().size() != expected) {
            throw new ModelException(who + ": weight has " + j.weight().size() + " values but layout " + l
                    + " describes " + expected);
        }
        if (j.gamma().size() != l.outputChannels()) {
            throw new ModelException(who + ": BatchNorm has " + j.gamma().size() + " channels, the layer "
                    + l.outputChannels());
        }
        if (j.bias() != null && j.bias().size() != l.outputChannels()) {
            throw new ModelException(who + ": bias has " + j.bias().size() + " values, the layer "
                    + l.outputChannels() + " output channels");
        }
    }

    /** Throws for the first index where {@code in} (null: none) or the folded {@code out} is not finite. */
    private static void requireFinite(String who, String what, float[] in, float[] out) {
        for (int i = 0; i < out.length; i++) {
            if (in != null && !Float.isFinite(in[i])) throw new ModelException(who + ": " + what + "[" + i + "] is " + in[i]);
            if (!Float.isFinite(out[i])) {
                throw new ModelException(who + ": folded " + what + "[" + i + "] = " + out[i]
                        + " overflows float32" + (in == null ? "" : " (" + what + " " + in[i] + ")"));
            }
        }
    }
}
