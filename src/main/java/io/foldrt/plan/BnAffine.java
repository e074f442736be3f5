package io.foldrt.plan;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.util.List;

/**
 * An inference BatchNorm as the per-channel affine map y = scale·x + shift, in float64, built only from
 * statistics that make sense: every value finite and var + eps &gt; 0 in every channel.
 *
 * @param scale gamma / sqrt(var + eps)
 * @param shift beta - mean·scale
 */
record BnAffine(double[] scale, double[] shift) {

    /** Tensor roles in the order of {@code names} given to {@link #of}. */
    static final List<String> ROLES = List.of("scale (gamma)", "B (beta)", "mean", "var");

    /**
     * @param who   what is being folded, for the message, e.g. "BatchNorm 'bn3'"
     * @param names the four tensors' names, for the message (initializer names, or {@link #ROLES})
     * @throws ModelException naming {@code who}, the tensor and the channel of the first bad value
     */
    static BnAffine of(String who, List<String> names, Tensor gamma, Tensor beta, Tensor mean, Tensor var,
                       double eps) {
        Tensor[] ts = {gamma, beta, mean, var};
        int c = gamma.size();
        for (int k = 0; k < 4; k++) {
            if (ts[k].size() != c) {
                throw new ModelException(who + ": " + names.get(k) + " has " + ts[k].size() + " values, "
                        + names.get(0) + " has " + c);
            }
            float[] d = ts[k].data();
            for (int i = 0; i < c; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new ModelException(who + ": " + names.get(k) + "[" + i + "] is " + d[i]
                            + "; BatchNorm statistics must be finite");
                }
            }
        }
        if (!Double.isFinite(eps)) throw new ModelException(who + ": epsilon is " + eps);
        double[] scale = new double[c], shift = new double[c];
        float[] g = gamma.data(), b = beta.data(), m = mean.data(), v = var.data();
        for (int i = 0; i < c; i++) {
            double denom = v[i] + eps;
            if (!(denom > 0)) {
                throw new ModelException(who + ": " + names.get(3) + "[" + i + "] + epsilon = " + v[i] + " + " + eps
                        + " = " + denom + " is not positive, so 1/sqrt(var + eps) is undefined");
            }
            scale[i] = g[i] / Math.sqrt(denom);
            shift[i] = b[i] - m[i] * scale[i];
        }
        return new BnAffine(scale, shift);
    }
}
