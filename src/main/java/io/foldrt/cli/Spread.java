package io.foldrt.cli;

/** Run-to-run spread of a benchmark figure over repeated trials. */
final class Spread {
    private Spread() {}

    /** (max - min) / min of {@code values}, in percent (0 for fewer than two values). */
    static double percent(double[] values) {
        if (values.length < 2) return 0;
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return 100 * (max - min) / min;
    }
}
