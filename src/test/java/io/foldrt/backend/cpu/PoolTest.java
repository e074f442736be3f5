package io.foldrt.backend.cpu;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Pads;
import org.junit.jupiter.api.Test;

/** MaxPool, AveragePool and GlobalAveragePool corner cases against the reference; tolerance in {@link Oracle}. */
class PoolTest {

    private static Graph pool(Op op, int c, int h, int w) {
        var b = new GraphBuilder("pool", 3);
        String x = b.input("x", Shapes.BATCH, c, h, w);
        b.output(b.node(op, x));
        return b.build();
    }

    private static Op max(int k, int s, Pads p, Hw d, boolean ceil) {
        return new Op.MaxPool(Hw.of(k), Hw.of(s), p, d, ceil);
    }

    private static Op avg(Hw k, Hw s, Pads p, boolean ceil, boolean countPad) {
        return new Op.AveragePool(k, s, p, ceil, countPad);
    }

    @Test
    void maxPoolPaddingStridesDilation() {
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 4, 15, 14));      // ResNet stem pool, odd sizes
        Oracle.check(pool(max(2, 2, Pads.NONE, Hw.ONE, false), 3, 9, 7));         // floor drops the last column
        Oracle.check(pool(max(3, 1, new Pads(0, 1, 2, 0), Hw.of(2), false), 2, 10, 11));
        Oracle.check(pool(new Op.MaxPool(new Hw(3, 2), new Hw(1, 3), new Pads(1, 0, 1, 1), new Hw(2, 1), false),
                3, 8, 13));
    }

    @Test
    void strideTwoRowsWideEnoughForVectorGathers() {
        // 16+ output columns from 32+ input columns: the vector kernel's gather path, edges included.
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 3, 9, 75));
        Oracle.check(pool(max(2, 2, Pads.NONE, Hw.ONE, true), 2, 6, 67));
        Oracle.check(pool(avg(Hw.of(3), Hw.of(2), Pads.of(1), false, false), 2, 7, 70));
        Oracle.check(pool(avg(Hw.of(3), Hw.of(2), Pads.of(1), true, true), 2, 7, 71));
    }

    @Test
    void maxPoolCeilMode() {
        Oracle.check(pool(max(2, 2, Pads.NONE, Hw.ONE, true), 3, 9, 7));                   // partial last windows
        Oracle.check(pool(max(2, 2, new Pads(0, 0, 1, 1), Hw.ONE, true), 2, 5, 5));        // last window kept
        Oracle.check(pool(max(2, 2, new Pads(0, 0, 1, 1), Hw.ONE, true), 2, 4, 4));        // window in pad dropped
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, true), 2, 10, 10));
    }

    @Test
    void averagePoolCountIncludePadBothWays() {
        for (boolean countPad : new boolean[] {true, false}) {
            Oracle.check(pool(avg(Hw.of(3), Hw.of(2), Pads.of(1), false, countPad), 3, 11, 9));
            Oracle.check(pool(avg(Hw.of(3), Hw.ONE, new Pads(2, 0, 1, 2), false, countPad), 2, 7, 8));
            Oracle.check(pool(avg(new Hw(2, 3), new Hw(2, 1), new Pads(0, 1, 1, 0), false, countPad), 2, 9, 6));
        }
    }

    @Test
    void averagePoolCeilModeWindowsPastThePadding() {
        // In ceil mode the last window may run past the declared end padding: those positions never count.
        for (boolean countPad : new boolean[] {true, false}) {
            Oracle.check(pool(avg(Hw.of(3), Hw.of(2), Pads.NONE, true, countPad), 3, 10, 8));
            Oracle.check(pool(avg(Hw.of(3), Hw.of(2), Pads.of(1), true, countPad), 2, 8, 11));
        }
    }

    @Test
    void globalAveragePoolAndBatch() {
        Oracle.check(pool(new Op.GlobalAveragePool(), 5, 13, 11));
        Oracle.check(pool(new Op.GlobalAveragePool(), 7, 1, 1));
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 3, 12, 12), 4, 2);
        Oracle.check(pool(avg(Hw.of(2), Hw.of(2), Pads.NONE, false, true), 3, 12, 12), 4, 2);
    }
}
