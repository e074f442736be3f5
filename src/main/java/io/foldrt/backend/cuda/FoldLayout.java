package io.foldrt.backend.cuda;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.FoldJob;
import java.util.List;

/**
 * How a list of {@link FoldJob}s is laid out for the fold_bn kernel: all weights back to back, one set of
 * per-channel arrays over the channels of all layers, and the per-layer tables the kernel reads. Also
 * checks every job before anything touches the device. Pure arithmetic.
 *
 * <p>Device input buffer: [weights | bias | gamma | beta | mean | var | eps (double per layer) | weight offsets
 * (long long per layer) | meta (5 ints per layer) | layer of each channel (int)], each section 256-byte
 * aligned. Output buffer: [folded weights | folded biases].
 */
public final class FoldLayout {
    private static final long ALIGN = 256;

    private final List<FoldJob> jobs;
    private final long[] weightOffset;   // elements, per layer
    private final int[] firstChannel;    // per layer
    private final long totalWeights;
    private final int totalChannels;

    private FoldLayout(List<FoldJob> jobs, long[] weightOffset, int[] firstChannel, long totalWeights, int totalChannels) {
        this.jobs = jobs;
        this.weightOffset = weightOffset;
        this.firstChannel = firstChannel;
        this.totalWeights = totalWeights;
        this.totalChannels = totalChannels;
    }

    /** @throws ModelException naming the layer when a job is malformed or its statistics cannot be folded */
    public static FoldLayout of(List<FoldJob> jobs) {
        long[] off = new long[jobs.size()];
        int[] first = new int[jobs.size()];
        long w = 0;
        long c = 0;
        for (int l = 0; l < jobs.size(); l++) {
            FoldJob j = jobs.get(l);
            check(j);
            off[l] = w;
            first[l] = Math.toIntExact(c);
            w += j.weight().size();
            c += j.layout().outputChannels();
        }
        return new FoldLayout(List.copyOf(jobs), off, first, w, Math.toIntExact(c));
    }

    static void check(FoldJob j) {
        FoldJob.Layout lay = j.layout();
        if (lay.outer() <= 0 || lay.channels() <= 0 || lay.inner() <= 0 || lay.groups() <= 0 || lay.outer() % lay.groups() != 0) {
            throw fail(j, "layout " + lay + " is not a valid [outer, channels, inner] split into groups");
        }
        if ((long) lay.outer() * lay.channels() * lay.inner() != j.weight().size()) {
            throw fail(j, "weight has " + j.weight().size() + " values, layout " + lay + " describes "
                    + (long) lay.outer() * lay.channels() * lay.inner());
        }
        int m = lay.outputChannels();
        vector(j, "gamma", j.gamma(), m);
        vector(j, "beta", j.beta(), m);
        vector(j, "mean", j.mean(), m);
        vector(j, "var", j.var(), m);
        if (j.bias() != null && j.bias().size() != m) throw fail(j, "bias has " + j.bias().size() + " values, expected " + m);
        if (!Double.isFinite(j.epsilon())) throw fail(j, "epsilon is " + j.epsilon());
        for (int i = 0; i < m; i++) {
            if ((double) j.var().data()[i] + j.epsilon() <= 0) {
                throw fail(j, "var + epsilon = " + ((double) j.var().data()[i] + j.epsilon()) + " <= 0 at channel " + i);
            }
        }
    }

    private static void vector(FoldJob j, String name, Tensor t, int m) {
        if (t == null || t.size() != m) throw fail(j, name + " must have " + m + " values");
        for (int i = 0; i < m; i++) {
            if (!Float.isFinite(t.data()[i])) throw fail(j, name + "[" + i + "] is " + t.data()[i]);
        }
    }

    private static ModelException fail(FoldJob j, String what) {
        return new ModelException("cannot fold BatchNorm into layer '" + j.layer() + "': " + what);
    }

    public List<FoldJob> jobs() {
        return jobs;
    }

    public int totalChannels() {
        return totalChannels;
    }

    public long totalWeights() {
        return totalWeights;
    }

    public long weightOffset(int layer) {
        return weightOffset[layer];
    }

    public int firstChannel(int layer) {
        return firstChannel[layer];
    }

    // ---- input buffer sections (byte offsets) ----

    public long weightsAt() {
        return 0;
    }

    /** Channel array k: 0 bias, 1 gamma, 2 beta, 3 mean, 4 var. */
    public long channelArrayAt(int k) {
        return align(4 * totalWeights) + k * align(4L * totalChannels);
    }

    public long epsAt() {
        return channelArrayAt(5);
    }

    public long weightOffsetsAt() {
        return epsAt() + align(8L * jobs.size());
    }

    public long metaAt() {
        return weightOffsetsAt() + align(8L * jobs.size());
    }

    public long layerOfAt() {
        return metaAt() + align(4L * 5 * jobs.size());
    }

    public long inputBytes() {
        return layerOfAt() + align(4L * totalChannels);
    }

    // ---- output buffer sections ----

    public long foldedBiasAt() {
        return align(4 * totalWeights);
    }

    public long outputBytes() {
        return foldedBiasAt() + align(4L * totalChannels);
    }

    // ---- packed per-channel and per-layer tables ----

    /** Channel array k over all layers: 0 bias (zeros for a layer without), 1 gamma, 2 beta, 3 mean, 4 var. */
    public float[] channelArray(int k) {
        float[] a = new float[totalChannels];
        for (int l = 0; l < jobs.size(); l++) {
            FoldJob j = jobs.get(l);
            Tensor t = switch (k) {
                case 0 -> j.bias();
                case 1 -> j.gamma();
                case 2 -> j.beta();
                case 3 -> j.mean();
                case 4 -> j.var();
                default -> throw new IllegalArgumentException("channel array " + k);
            };
            if (t != null) System.arraycopy(t.data(), 0, a, firstChannel[l], t.size());
        }
        return a;
    }

    public double[] epsilons() {
        double[] e = new double[jobs.size()];
        for (int l = 0; l < e.length; l++) e[l] = jobs.get(l).epsilon();
        return e;
    }

    public long[] weightOffsets() {
        return weightOffset.clone();
    }

    /** Per layer: first channel, outer, channels, inner, groups. */
    public int[] meta() {
        int[] m = new int[5 * jobs.size()];
        for (int l = 0; l < jobs.size(); l++) {
            FoldJob.Layout lay = jobs.get(l).layout();
            m[5 * l] = firstChannel[l];
            m[5 * l + 1] = lay.outer();
            m[5 * l + 2] = lay.channels();
            m[5 * l + 3] = lay.inner();
            m[5 * l + 4] = lay.groups();
        }
        return m;
    }

    public int[] layerOf() {
        int[] a = new int[totalChannels];
        for (int l = 0; l < jobs.size(); l++) {
            int m = jobs.get(l).layout().outputChannels();
            for (int i = 0; i < m; i++) a[firstChannel[l] + i] = l;
        }
        return a;
    }

    private static long align(long bytes) {
        return (bytes + ALIGN - 1) / ALIGN * ALIGN;
    }
}
