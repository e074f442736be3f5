package io.foldrt.cli;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Confidence interval of a ratio of medians, median(a) / median(b), by the percentile bootstrap over <em>paired</em>
 * samples: a[i] and b[i] were timed in the same round of the same trial (the benchmark interleaves its sides), so a
 * resample draws whole pairs with replacement and keeps whatever drift the two shared. Each resample's statistic is
 * the ratio of the two resampled medians; the interval is the (1 - level) / 2 and (1 + level) / 2 percentiles of
 * those ratios, interpolated as in {@link Stats#percentile}. Seeded, so a report can be reproduced exactly.
 */
final class Bootstrap {
    /** A point estimate and its confidence interval. */
    record Interval(double estimate, double low, double high, double level, int resamples) {
        boolean contains(double v) {
            return low <= v && v <= high;
        }
    }

    static final int DEFAULT_RESAMPLES = 2000;
    static final double DEFAULT_LEVEL = 0.95;

    private Bootstrap() {}

    static Interval ratioOfMedians(double[] a, double[] b, int resamples, double level, long seed) {
        if (a.length != b.length) throw new IllegalArgumentException("unpaired samples: " + a.length + " vs " + b.length);
        if (a.length == 0) throw new IllegalArgumentException("no samples");
        if (resamples < 1) throw new IllegalArgumentException("resamples must be at least 1, got " + resamples);
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("level must lie in (0, 1), got " + level);
        int n = a.length;
        double estimate = median(a.clone()) / median(b.clone());
        SplittableRandom rng = new SplittableRandom(seed);
        double[] ra = new double[n], rb = new double[n], ratios = new double[resamples];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < n; i++) {
                int k = rng.nextInt(n);
                ra[i] = a[k];
                rb[i] = b[k];
            }
            ratios[r] = median(ra) / median(rb);
        }
        Arrays.sort(ratios);
        double tail = (1 - level) / 2 * 100;
        return new Interval(estimate, Stats.percentile(ratios, tail), Stats.percentile(ratios, 100 - tail), level,
                resamples);
    }

    /** Median of {@code v}, sorting it in place. */
    private static double median(double[] v) {
        Arrays.sort(v);
        return Stats.percentile(v, 50);
    }
}
