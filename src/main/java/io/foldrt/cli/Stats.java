package io.foldrt.cli;

import java.util.Arrays;

/**
 * Summary of latency samples in milliseconds. Percentiles interpolate linearly between the closest ranks
 * (NumPy's default), so p99 of 50 samples lies between the two slowest rather than jumping to the maximum.
 */
record Stats(int count, double median, double p90, double p99, double mean, double min, double max) {
    static Stats of(double[] samples) {
        if (samples.length == 0) throw new IllegalArgumentException("no samples");
        double[] s = samples.clone();
        Arrays.sort(s);
        double sum = 0;
        for (double v : s) sum += v;
        return new Stats(s.length, percentile(s, 50), percentile(s, 90), percentile(s, 99), sum / s.length, s[0],
                s[s.length - 1]);
    }

    /** The {@code p}-th percentile (0..100) of sorted values. */
    static double percentile(double[] sorted, double p) {
        double pos = p / 100 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
