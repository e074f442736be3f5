package io.foldrt.cli;

/** The range of a benchmark figure over repeated trials (min > max when there were none). */
record Spread(double min, double max) {

    static Spread of(double[] values) {
        double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return new Spread(min, max);
    }

    /** The ratios a[i] / b[i] of two series of trial figures, over their common length. */
    static Spread ofRatios(double[] a, double[] b) {
        double[] q = new double[Math.min(a.length, b.length)];
        for (int i = 0; i < q.length; i++) q[i] = a[i] / b[i];
        return of(q);
    }

    /** (max - min) / min in percent: the run-to-run spread. */
    double percent() {
        return 100 * (max - min) / min;
    }
}
