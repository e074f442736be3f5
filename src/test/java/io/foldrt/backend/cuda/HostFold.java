package io.foldrt.backend.cuda;

import io.foldrt.ir.Tensor;
import io.foldrt.plan.FoldJob;
import java.util.ArrayList;
import java.util.List;

/**
 * Test oracle: the FoldEngine formulas in float64, element by element through {@link FoldJob.Layout#channelOf}
 * (independent of the kernel's loop structure), rounded once to float32.
 */
final class HostFold {
    private HostFold() {}

    static List<FoldJob.Result> fold(List<FoldJob> jobs) {
        List<FoldJob.Result> out = new ArrayList<>();
        for (FoldJob j : jobs) {
            int m = j.layout().outputChannels();
            double[] s = new double[m];
            for (int c = 0; c < m; c++) s[c] = j.gamma().data()[c] / Math.sqrt(j.var().data()[c] + j.epsilon());
            float[] w = j.weight().data(), fw = new float[w.length];
            for (int i = 0; i < w.length; i++) fw[i] = (float) (w[i] * s[j.layout().channelOf(i)]);
            float[] fb = new float[m];
            for (int c = 0; c < m; c++) {
                double b = j.bias() == null ? 0 : j.bias().data()[c];
                fb[c] = (float) ((b - j.mean().data()[c]) * s[c] + j.beta().data()[c]);
            }
            out.add(new FoldJob.Result(new Tensor(j.weight().shape(), fw), new Tensor(new int[] {m}, fb)));
        }
        return out;
    }
}
