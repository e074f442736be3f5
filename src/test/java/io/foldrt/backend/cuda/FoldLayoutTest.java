package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.FoldJob;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fold engine's host side: job checks, and the packed tables run through a Java transcription of the
 * fold_bn kernel's loop (block = channel, strided elements), compared with {@link HostFold}, the FoldEngine
 * formulas evaluated directly per weight index with {@link FoldJob.Layout#channelOf}.
 */
class FoldLayoutTest {

    static List<FoldJob> jobs(SplittableRandom rng) {
        List<FoldJob> jobs = new ArrayList<>();
        jobs.add(job(rng, "conv", new FoldJob.Layout(1, 6, 3 * 3 * 3, 1), new int[] {6, 3, 3, 3}, true));
        jobs.add(job(rng, "depthwise", new FoldJob.Layout(1, 4, 9, 1), new int[] {4, 1, 3, 3}, false));
        jobs.add(job(rng, "deconv_g2", new FoldJob.Layout(6, 3, 4, 2), new int[] {6, 3, 2, 2}, true));
        jobs.add(job(rng, "linear", new FoldJob.Layout(1, 5, 7, 1), new int[] {5, 7}, true));
        jobs.add(job(rng, "matmul", new FoldJob.Layout(7, 5, 1, 1), new int[] {7, 5}, false));
        return jobs;
    }

    static FoldJob job(SplittableRandom rng, String name, FoldJob.Layout lay, int[] wShape, boolean bias) {
        int m = lay.outputChannels();
        Tensor var = Tensor.random(rng, 0.2f, 2f, m);
        return new FoldJob(name, Tensor.random(rng, -1, 1, wShape), bias ? Tensor.random(rng, -1, 1, m) : null, lay,
                Tensor.random(rng, -2, 2, m), Tensor.random(rng, -1, 1, m), Tensor.random(rng, -1, 1, m), var,
                rng.nextBoolean() ? 1e-5 : 1e-3);
    }

    @Test
    void packedTablesDriveTheKernelLoopToTheHostFold() {
        List<FoldJob> jobs = jobs(new SplittableRandom(9));
        FoldLayout lay = FoldLayout.of(jobs);
        float[] w = new float[(int) lay.totalWeights()];
        for (int l = 0; l < jobs.size(); l++) {
            System.arraycopy(jobs.get(l).weight().data(), 0, w, (int) lay.weightOffset(l), jobs.get(l).weight().size());
        }
        float[] wOut = new float[w.length], bOut = new float[lay.totalChannels()];
        float[] bias = lay.channelArray(0), gamma = lay.channelArray(1), beta = lay.channelArray(2),
                mean = lay.channelArray(3), var = lay.channelArray(4);
        double[] eps = lay.epsilons();
        long[] off = lay.weightOffsets();
        int[] meta = lay.meta(), layerOf = lay.layerOf();
        int blockDim = 7; // any block size must do
        for (int c = 0; c < lay.totalChannels(); c++) {
            for (int t = 0; t < blockDim; t++) {
                // --- transcription of fold_bn.cu ---
                int layer = layerOf[c];
                int first = meta[5 * layer], outer = meta[5 * layer + 1], channels = meta[5 * layer + 2];
                int inner = meta[5 * layer + 3], groups = meta[5 * layer + 4];
                int local = c - first, group = local / channels, cc = local % channels;
                long outerPerGroup = outer / groups;
                double s = (double) gamma[c] / Math.sqrt((double) var[c] + eps[layer]);
                long count = outerPerGroup * inner;
                for (long e = t; e < count; e += blockDim) {
                    long o = group * outerPerGroup + e / inner, i = e % inner;
                    int idx = (int) (off[layer] + (o * channels + cc) * inner + i);
                    wOut[idx] = (float) ((double) w[idx] * s);
                }
                if (t == 0) bOut[c] = (float) (((double) bias[c] - (double) mean[c]) * s + (double) beta[c]);
            }
        }
        List<FoldJob.Result> expected = HostFold.fold(jobs);
        for (int l = 0; l < jobs.size(); l++) {
            float[] got = new float[jobs.get(l).weight().size()];
            System.arraycopy(wOut, (int) lay.weightOffset(l), got, 0, got.length);
            assertArrayEquals(expected.get(l).weight().data(), got, jobs.get(l).layer());
            float[] gb = new float[jobs.get(l).layout().outputChannels()];
            System.arraycopy(bOut, lay.firstChannel(l), gb, 0, gb.length);
            assertArrayEquals(expected.get(l).bias().data(), gb, jobs.get(l).layer());
        }
    }

    @Test
    void sectionsDoNotOverlap() {
        FoldLayout lay = FoldLayout.of(jobs(new SplittableRandom(10)));
        long[] starts = {lay.weightsAt(), lay.channelArrayAt(0), lay.channelArrayAt(1), lay.channelArrayAt(2),
            lay.channelArrayAt(3), lay.channelArrayAt(4), lay.epsAt(), lay.weightOffsetsAt(), lay.metaAt(), lay.layerOfAt(),
            lay.inputBytes()};
        long[] sizes = {4 * lay.totalWeights(), 4L * lay.totalChannels(), 4L * lay.totalChannels(), 4L * lay.totalChannels(),
            4L * lay.totalChannels(), 4L * lay.totalChannels(), 8L * 5, 8L * 5, 4L * 25, 4L * lay.totalChannels()};
        for (int i = 0; i < sizes.length; i++) {
            assertTrue(starts[i] + sizes[i] <= starts[i + 1], "section " + i);
            assertEquals(0, starts[i] % 8);
        }
        assertTrue(lay.foldedBiasAt() >= 4 * lay.totalWeights());
        assertEquals(6 + 4 + 6 + 5 + 5, lay.totalChannels());
    }

    @Test
    void refusesUnfoldableStatisticsNamingTheLayer() {
        SplittableRandom rng = new SplittableRandom(11);
        FoldJob ok = job(rng, "conv7", new FoldJob.Layout(1, 2, 3, 1), new int[] {2, 3}, true);
        var negVar = new FoldJob("conv7", ok.weight(), ok.bias(), ok.layout(), ok.gamma(), ok.beta(), ok.mean(),
                Tensor.of(new int[] {2}, 1f, -1f), 1e-5);
        var e = assertThrows(ModelException.class, () -> FoldLayout.of(List.of(negVar)));
        assertTrue(e.getMessage().contains("'conv7'") && e.getMessage().contains("<= 0 at channel 1"), e.getMessage());
        var nan = new FoldJob("bn_nan", ok.weight(), ok.bias(), ok.layout(), Tensor.of(new int[] {2}, Float.NaN, 1f),
                ok.beta(), ok.mean(), ok.var(), 1e-5);
        assertTrue(assertThrows(ModelException.class, () -> FoldLayout.of(List.of(nan))).getMessage().contains("gamma[0] is NaN"));
        var badLayout = new FoldJob("fc", ok.weight(), ok.bias(), new FoldJob.Layout(1, 2, 4, 1), ok.gamma(), ok.beta(),
                ok.mean(), ok.var(), 1e-5);
        assertThrows(ModelException.class, () -> FoldLayout.of(List.of(badLayout)));
        var infEps = new FoldJob("e", ok.weight(), ok.bias(), ok.layout(), ok.gamma(), ok.beta(), ok.mean(), ok.var(),
                Double.POSITIVE_INFINITY);
        assertThrows(ModelException.class, () -> FoldLayout.of(List.of(infEps)));
    }
}
