package io.foldrt.backend.cuda.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.backend.reference.ReferenceInterpreter.DTensor;
import io.foldrt.ir.Shapes;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** binary_bcast's dims and strides, run through a Java copy of the kernel's index arithmetic. */
class BroadcastGeometryTest {

    @Test
    void matchesNumpyBroadcastingOfTheReference() {
        SplittableRandom rng = new SplittableRandom(5);
        for (int t = 0; t < 400; t++) {
            int rank = rng.nextInt(1, 8);
            int[] out = new int[rank];
            for (int i = 0; i < rank; i++) out[i] = rng.nextInt(1, 4);
            int[] a = operand(rng, out), b = operand(rng, out);
            int[] bc = Shapes.broadcast(a, b);
            BroadcastGeometry g = BroadcastGeometry.of(a, b, bc);
            if (g == null) {
                assertEquals(true, rank > BroadcastGeometry.RANK, "only high ranks may not fit");
                continue;
            }
            DTensor ta = random(rng, a), tb = random(rng, b);
            double[] ea = ReferenceInterpreter.broadcastTo(ta, bc), eb = ReferenceInterpreter.broadcastTo(tb, bc);
            assertEquals(ea.length, g.elements());
            for (int i = 0; i < ea.length; i++) {
                assertEquals(ea[i], ta.data()[(int) index(g.dims(), g.stridesA(), i)], "a at " + i + " " + g);
                assertEquals(eb[i], tb.data()[(int) index(g.dims(), g.stridesB(), i)], "b at " + i + " " + g);
            }
        }
    }

    @Test
    void mergesContiguousDimsAndKeepsBroadcastDims() {
        // [2,3,4,5] + [1,3,1,1]: channel bias. Merged: [2, 3, 20] with a contiguous, b = (0, 1, 0).
        BroadcastGeometry g = BroadcastGeometry.of(new int[] {2, 3, 4, 5}, new int[] {1, 3, 1, 1}, new int[] {2, 3, 4, 5});
        assertArrayEquals(new int[] {1, 1, 1, 2, 3, 20}, g.dims());
        assertArrayEquals(new long[] {0, 0, 0, 60, 20, 1}, g.stridesA());
        assertArrayEquals(new long[] {0, 0, 0, 0, 1, 0}, g.stridesB());
        // same shapes collapse to one dim
        BroadcastGeometry same = BroadcastGeometry.of(new int[] {2, 3, 4, 5, 6, 7, 8}, new int[] {2, 3, 4, 5, 6, 7, 8},
                new int[] {2, 3, 4, 5, 6, 7, 8});
        assertNotNull(same);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 40320}, same.dims());
    }

    @Test
    void alternatingBroadcastBeyondSixDimsDoesNotFit() {
        int[] out = {2, 2, 2, 2, 2, 2, 2}, a = {2, 1, 2, 1, 2, 1, 2}, b = {1, 2, 1, 2, 1, 2, 1};
        assertNull(BroadcastGeometry.of(a, b, out));
    }

    @Test
    void copyBroadcastsABiasRow() {
        BroadcastGeometry g = BroadcastGeometry.copy(new int[] {5}, new int[] {3, 5});
        assertArrayEquals(new int[] {1, 1, 1, 1, 3, 5}, g.dims());
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1}, g.stridesA());
    }

    /** The kernel's index arithmetic. */
    static long index(int[] d, long[] s, long i) {
        long r = i, idx = 0;
        for (int k = 5; k >= 1; k--) {
            idx += (r % d[k]) * s[k];
            r /= d[k];
        }
        return idx + r * s[0];
    }

    private static int[] operand(SplittableRandom rng, int[] out) {
        int r = rng.nextInt(0, out.length + 1);
        int[] s = new int[r];
        for (int i = 0; i < r; i++) s[i] = rng.nextInt(3) == 0 ? 1 : out[out.length - r + i];
        return s;
    }

    private static DTensor random(SplittableRandom rng, int[] shape) {
        double[] d = new double[(int) Shapes.elementCount(shape)];
        for (int i = 0; i < d.length; i++) d[i] = rng.nextDouble();
        return new DTensor(shape, d);
    }
}
