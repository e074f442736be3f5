package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.FoldJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPU fold against the float64 host fold ({@link HostFold}). Tolerance: at most 1 ulp per value; the
 * kernel computes the same float64 expression with correctly rounded sqrt and division and no FMA, so
 * every value is expected to be bit-identical, and the test prints how many are.
 */
@Tag("gpu")
class CudaFoldEngineGpuTest {

    @Test
    void equalsTheHostFoldWithinOneUlp() {
        Map<String, Long> before = LiveResources.snapshot();
        try (CudaFoldEngine engine = GpuSupport.foldEngineOrSkip()) {
            SplittableRandom rng = new SplittableRandom(31);
            List<FoldJob> jobs = new ArrayList<>(FoldLayoutTest.jobs(rng));
            jobs.add(FoldLayoutTest.job(rng, "resnet_block", new FoldJob.Layout(1, 256, 256 * 9, 1), new int[] {256, 256, 3, 3}, false));
            jobs.add(FoldLayoutTest.job(rng, "wide_linear", new FoldJob.Layout(1, 1000, 2048, 1), new int[] {1000, 2048}, true));
            jobs.add(FoldLayoutTest.job(rng, "deconv_g4", new FoldJob.Layout(64, 8, 16, 4), new int[] {64, 8, 4, 4}, true));
            List<FoldJob.Result> got = engine.fold(jobs);
            List<FoldJob.Result> want = HostFold.fold(jobs);
            long values = 0, identical = 0;
            for (int l = 0; l < jobs.size(); l++) {
                assertArrayEquals(want.get(l).weight().shape(), got.get(l).weight().shape());
                assertArrayEquals(new int[] {jobs.get(l).layout().outputChannels()}, got.get(l).bias().shape());
                long[] c = compare(want.get(l).weight(), got.get(l).weight(), jobs.get(l).layer() + " weight");
                long[] d = compare(want.get(l).bias(), got.get(l).bias(), jobs.get(l).layer() + " bias");
                values += c[0] + d[0];
                identical += c[1] + d[1];
            }
            System.out.println(engine.name() + ": " + identical + " of " + values + " values bit-identical to the host fold");
            assertTrue(engine.fold(List.of()).isEmpty());
        }
        assertEquals(before, LiveResources.snapshot());
    }

    @Test
    void refusesBadStatisticsBeforeTouchingTheDevice() {
        try (CudaFoldEngine engine = GpuSupport.foldEngineOrSkip()) {
            SplittableRandom rng = new SplittableRandom(32);
            FoldJob ok = FoldLayoutTest.job(rng, "conv3", new FoldJob.Layout(1, 2, 4, 1), new int[] {2, 4}, true);
            FoldJob bad = new FoldJob("conv3", ok.weight(), ok.bias(), ok.layout(), ok.gamma(), ok.beta(), ok.mean(),
                    Tensor.of(new int[] {2}, 0f, 1f), 0.0);
            var e = assertThrows(ModelException.class, () -> engine.fold(List.of(ok, bad)));
            assertTrue(e.getMessage().contains("'conv3'"), e.getMessage());
        }
    }

    @Test
    void backendEngineSharesTheBackendsDevice() {
        try (CudaBackend cuda = GpuSupport.openOrSkip(Map.of())) {
            var engine = cuda.foldEngine();
            assertTrue(engine.name().contains(cuda.device().name()));
            List<FoldJob> jobs = FoldLayoutTest.jobs(new SplittableRandom(33));
            var got = engine.fold(jobs);
            var want = HostFold.fold(jobs);
            for (int l = 0; l < jobs.size(); l++) compare(want.get(l).weight(), got.get(l).weight(), jobs.get(l).layer());
        }
    }

    /** {values, bit-identical}; fails on a difference above 1 ulp. */
    private static long[] compare(Tensor want, Tensor got, String what) {
        float[] w = want.data(), g = got.data();
        assertEquals(w.length, g.length, what);
        long same = 0;
        for (int i = 0; i < w.length; i++) {
            if (Float.floatToIntBits(w[i]) == Float.floatToIntBits(g[i])) {
                same++;
                continue;
            }
            assertTrue(Math.abs(w[i] - g[i]) <= Math.ulp(w[i]), what + "[" + i + "]: " + g[i] + " vs " + w[i]);
        }
        return new long[] {w.length, same};
    }
}
