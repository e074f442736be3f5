package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BootstrapTest {
    @Test
    void exactRatioHasADegenerateInterval() {
        // Every pair has a = 2b, so every resample's ratio of medians is exactly 2.
        double[] b = {1, 3, 2, 5, 4, 9, 7};
        double[] a = new double[b.length];
        for (int i = 0; i < b.length; i++) a[i] = 2 * b[i];
        Bootstrap.Interval ci = Bootstrap.ratioOfMedians(a, b, 500, 0.95, 1);
        assertEquals(2.0, ci.estimate(), 1e-12);
        assertEquals(2.0, ci.low(), 1e-12);
        assertEquals(2.0, ci.high(), 1e-12);
    }

    @Test
    void pointEstimateIsTheRatioOfMediansAndSeedMakesItReproducible() {
        double[] a = {10, 12, 11, 30, 13, 12, 11};  // median 12
        double[] b = {8, 8.5, 7.5, 9, 8, 20, 8};     // median 8
        Bootstrap.Interval one = Bootstrap.ratioOfMedians(a, b, 1000, 0.95, 7);
        assertEquals(1.5, one.estimate(), 1e-12);
        assertTrue(one.low() <= one.estimate() && one.estimate() <= one.high(), one.toString());
        assertEquals(one, Bootstrap.ratioOfMedians(a, b, 1000, 0.95, 7), "same seed, same interval");
        // A resampled median is one of the values, so the bounds lie between the extreme ratios of medians.
        assertTrue(one.low() >= 10.0 / 20 && one.high() <= 30.0 / 7.5, one.toString());
    }

    @Test
    void coversAKnownRatioAndNarrowsWithMoreSamples() {
        // Latencies with a true median ratio of 1.25: b ~ 4 ms with noise, a = 1.25 * (an independent draw).
        SplittableRandom rng = new SplittableRandom(2024);
        Bootstrap.Interval small = interval(rng, 40), large = interval(rng, 4000);
        assertTrue(small.contains(1.25), small.toString());
        assertTrue(large.contains(1.25), large.toString());
        assertTrue(large.high() - large.low() < (small.high() - small.low()) / 3, small + " vs " + large);
        assertEquals(0.95, large.level());
        assertEquals(2000, large.resamples());
        assertNotEquals(large, interval(new SplittableRandom(2024), 4000), "other data, other interval");
    }

    private static Bootstrap.Interval interval(SplittableRandom rng, int n) {
        double[] a = new double[n], b = new double[n];
        for (int i = 0; i < n; i++) {
            b[i] = 4 + rng.nextDouble(-0.5, 0.5);
            a[i] = 1.25 * (4 + rng.nextDouble(-0.5, 0.5));
        }
        return Bootstrap.ratioOfMedians(a, b, 2000, 0.95, 99);
    }

    @Test
    void rejectsUnpairedOrEmptySamples() {
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.ratioOfMedians(new double[2], new double[3], 10, 0.95, 1));
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.ratioOfMedians(new double[0], new double[0], 10, 0.95, 1));
        assertThrows(IllegalArgumentException.class, () -> Bootstrap.ratioOfMedians(new double[1], new double[1], 10, 1.0, 1));
    }
}
