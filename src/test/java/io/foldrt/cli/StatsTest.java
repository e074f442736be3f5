package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StatsTest {
    @Test
    void percentilesInterpolateLikeNumpy() {
        // numpy.percentile([5, 1, 4, 2, 3], [50, 90, 99]) == [3.0, 4.6, 4.96]
        Stats s = Stats.of(new double[] {5, 1, 4, 2, 3});
        assertEquals(3.0, s.median(), 1e-12);
        assertEquals(4.6, s.p90(), 1e-12);
        assertEquals(4.96, s.p99(), 1e-12);
        assertEquals(3.0, s.mean(), 1e-12);
        assertEquals(1.0, s.min());
        assertEquals(5.0, s.max());
        assertEquals(5, s.count());
    }

    @Test
    void evenCountMedianAndSingleSample() {
        assertEquals(2.5, Stats.of(new double[] {4, 1, 3, 2}).median(), 1e-12);
        Stats one = Stats.of(new double[] {7});
        assertEquals(7, one.median());
        assertEquals(7, one.p99());
    }

    @Test
    void doesNotReorderTheCallersArray() {
        double[] a = {3, 1, 2};
        Stats.of(a);
        assertEquals(3, a[0]);
    }

    @Test
    void percentilesOfAHundredValues() {
        // 1..100: numpy.percentile(range(1, 101), [50, 90, 99]) == [50.5, 90.1, 99.01]
        double[] v = new double[100];
        for (int i = 0; i < 100; i++) v[99 - i] = i + 1;
        Stats s = Stats.of(v);
        assertEquals(50.5, s.median(), 1e-12);
        assertEquals(90.1, s.p90(), 1e-12);
        assertEquals(99.01, s.p99(), 1e-12);
        assertEquals(50.5, s.mean(), 1e-12);
    }
}
