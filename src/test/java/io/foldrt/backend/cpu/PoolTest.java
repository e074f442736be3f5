package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Tensor;
import java.util.Map;
import java.util.SplittableRandom;
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
    void everyStrideAndDilationWithAsymmetricPads() {
        // Strides 1-3 (the flat strided copies, vector and scalar), dilations 1-2, both rounding modes.
        Pads pads = new Pads(2, 0, 1, 1); // top, left, bottom, right (each below the kernel: no window all padding)
        for (int s = 1; s <= 3; s++) {
            for (int d = 1; d <= 2; d++) {
                for (boolean ceil : new boolean[] {false, true}) {
                    Oracle.check(pool(new Op.MaxPool(new Hw(3, 2), Hw.of(s), pads, Hw.of(d), ceil), 2, 11, 19));
                    Oracle.check(pool(new Op.MaxPool(Hw.of(3), new Hw(s, 4 - s), pads, new Hw(d, 3 - d), ceil), 2, 13, 17));
                }
            }
            for (boolean countPad : new boolean[] {true, false}) {
                Oracle.check(pool(avg(new Hw(3, 2), Hw.of(s), pads, true, countPad), 2, 10, 21));
            }
        }
    }

    @Test
    void rowWidthsAroundVectorLengths() {
        // Input and output rows below, at and past 16 and 32 floats: the vector bodies and the scalar tails.
        for (int w : new int[] {3, 15, 16, 17, 31, 32, 33, 34, 63, 64, 65, 66}) {
            Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 2, 5, w));
            Oracle.check(pool(max(3, 1, Pads.of(1), Hw.ONE, false), 2, 4, w));
            Oracle.check(pool(max(2, 2, Pads.NONE, Hw.ONE, true), 2, 5, w));
            Oracle.check(pool(avg(Hw.of(3), Hw.of(2), Pads.of(1), false, true), 2, 5, w));
        }
    }

    @Test
    void maxPoolOnTheVectorPath() {
        // Rows of 16+ floats at column stride 1 or 2: VectorMaxPool, with the row dilation, window shapes
        // (one column, even and odd widths), lopsided pads and ceil mode it must handle. Oracle.check runs
        // the loop kernel's band path too.
        Op[] ops = {
                max(3, 2, Pads.of(1), Hw.ONE, false),
                new Op.MaxPool(new Hw(2, 3), Hw.of(2), new Pads(1, 1, 0, 1), new Hw(2, 1), false),
                new Op.MaxPool(new Hw(3, 1), new Hw(1, 2), Pads.NONE, Hw.ONE, false),
                new Op.MaxPool(new Hw(1, 4), Hw.of(2), new Pads(0, 2, 0, 1), Hw.ONE, true),
                new Op.MaxPool(new Hw(2, 5), Hw.ONE, new Pads(1, 2, 0, 2), Hw.ONE, false),
                max(3, 2, Pads.of(1), Hw.ONE, true)};
        for (Op op : ops) {
            Op.MaxPool p = (Op.MaxPool) op;
            Graph g = pool(op, 3, 21, 37);
            int[] ys = g.outputs().getFirst().shape();
            var geo = new ConvGeometry(21, 37, p.kernel().h(), p.kernel().w(), p.strides().h(), p.strides().w(),
                    p.dilations().h(), p.dilations().w(), p.pads().top(), p.pads().left(), ys[2], ys[3]);
            if (MicroKernel.vectorAvailable()) assertTrue(VectorMaxPool.applies(geo), op.toString());
            Oracle.check(g);
            Oracle.check(g, 2, 3);
        }
    }

    @Test
    void windowWiderThanTheInput() {
        // The window covers the whole (padded) row or column, or runs past it in ceil mode.
        Oracle.check(pool(max(3, 1, Pads.of(1), Hw.ONE, false), 2, 1, 1));
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 2, 2, 2));
        Oracle.check(pool(max(4, 1, Pads.of(1), Hw.ONE, false), 2, 2, 2));      // kernel = padded width
        Oracle.check(pool(max(5, 3, Pads.of(1), Hw.ONE, true), 2, 3, 4));
        Oracle.check(pool(max(3, 2, Pads.NONE, Hw.of(2), true), 2, 5, 6));     // dilated window = input
        for (boolean countPad : new boolean[] {true, false}) {
            Oracle.check(pool(avg(Hw.of(4), Hw.ONE, Pads.of(1), false, countPad), 2, 2, 2));
            Oracle.check(pool(avg(Hw.of(3), Hw.of(2), new Pads(1, 0, 0, 1), true, countPad), 2, 2, 3));
        }
    }

    @Test
    void bandsOfRows() {
        // Planes taller or wider than one band of rows: several bands, a short last one, one row per band.
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 2, 150, 150));
        Oracle.check(pool(avg(Hw.of(3), Hw.ONE, Pads.of(1), false, true), 1, 64, 130));
        Oracle.check(pool(max(3, 1, Pads.of(1), Hw.ONE, true), 1, 4, 4500));
    }

    @Test
    void maxPoolPropagatesNaN() {
        // The oracle rejects NaN, so this compares by hand: an output is NaN exactly where its window holds one.
        for (Op op : new Op[] {max(3, 2, Pads.of(1), Hw.ONE, false), max(3, 1, new Pads(0, 1, 2, 0), Hw.of(2), true),
                max(2, 3, Pads.NONE, Hw.ONE, true)}) {
            Graph g = pool(op, 2, 9, 37);
            Tensor x = Tensor.random(new SplittableRandom(7), -1f, 1f, 2, 2, 9, 37);
            float[] d = x.data();
            for (int i : new int[] {0, 40, 4 * 37 + 5, 333, 9 * 37 - 1, 9 * 37 + 18, d.length - 1}) d[i] = Float.NaN;
            Map<String, Tensor> in = Map.of("x", x);
            double[] ref = ReferenceInterpreter.run(g, in).values().iterator().next().data();
            for (String kernel : Oracle.kernels()) {
                for (int threads : new int[] {1, 3}) {
                    try (CpuBackend cpu = new CpuBackend(threads, MicroKernel.select(kernel));
                         CpuExecutable exe = cpu.compile(g, 2)) {
                        float[] got = exe.run(in).values().iterator().next().data();
                        assertEquals(ref.length, got.length);
                        int nans = 0;
                        for (int i = 0; i < ref.length; i++) {
                            String at = op + " " + kernel + " kernel, element " + i;
                            assertEquals(Double.isNaN(ref[i]), Float.isNaN(got[i]), at);
                            if (Double.isNaN(ref[i])) nans++;
                            else assertEquals(ref[i], got[i], 1e-6, at);
                        }
                        assertTrue(nans > 0 && nans < ref.length, op + ": " + nans + " NaN outputs");
                    }
                }
            }
        }
    }

    @Test
    void globalAveragePoolAndBatch() {
        Oracle.check(pool(new Op.GlobalAveragePool(), 5, 13, 11));
        Oracle.check(pool(new Op.GlobalAveragePool(), 7, 1, 1));
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, false), 3, 12, 12), 4, 2);
        Oracle.check(pool(avg(Hw.of(2), Hw.of(2), Pads.NONE, false, true), 3, 12, 12), 4, 2);
        // Planes shared unevenly among 3 threads.
        Oracle.check(pool(max(3, 2, Pads.of(1), Hw.ONE, true), 5, 33, 35), 3, 3);
        Oracle.check(pool(avg(Hw.of(3), Hw.of(2), new Pads(0, 1, 1, 0), true, false), 7, 40, 40), 2, 3);
    }
}
