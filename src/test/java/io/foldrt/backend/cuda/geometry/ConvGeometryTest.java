package io.foldrt.backend.cuda.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Tensor;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * cuDNN descriptor parameters for Conv and ConvTranspose against ShapeInference, and - through small Java
 * models of what cuDNN's forward and backward-data convolutions compute - against the reference
 * interpreter's values. The models follow cuDNN's documented definitions (cross-correlation, symmetric
 * padding, groups), not the reference's code.
 */
class ConvGeometryTest {

    @Test
    void convDimsMatchShapeInference() {
        SplittableRandom rng = new SplittableRandom(1);
        for (int t = 0; t < 500; t++) {
            int g = rng.nextInt(1, 4), cg = rng.nextInt(1, 4), mg = rng.nextInt(1, 4);
            int kh = rng.nextInt(1, 5), kw = rng.nextInt(1, 5);
            Op.Conv op = new Op.Conv(new Hw(rng.nextInt(1, 4), rng.nextInt(1, 4)),
                    new Pads(rng.nextInt(0, 3), rng.nextInt(0, 3), rng.nextInt(0, 3), rng.nextInt(0, 3)),
                    new Hw(rng.nextInt(1, 3), rng.nextInt(1, 3)), g, Activation.NONE);
            int[] x = {rng.nextInt(1, 3), cg * g, rng.nextInt(9, 20), rng.nextInt(9, 20)};
            int[] w = {mg * g, cg, kh, kw};
            int[] expected;
            try {
                expected = ShapeInference.outputShape(node(op), new int[][] {x, w});
            } catch (ModelException tooSmall) {
                continue;
            }
            ConvGeometry geo = ConvGeometry.of("c", op, x, w);
            assertArrayEquals(expected, geo.outputDims(), geo.toString());
            assertArrayEquals(w, geo.filterDims());
            assertEquals(Math.min(op.pads().top(), op.pads().bottom()), geo.padH());
            assertTrue(geo.prePadTop() == 0 || geo.prePadBottom() == 0);
            assertEquals(op.pads().top() != op.pads().bottom() || op.pads().left() != op.pads().right(), geo.needsPrePad());
        }
    }

    @Test
    void convValuesThroughPrePadAndSymmetricPaddingMatchTheReference() {
        SplittableRandom rng = new SplittableRandom(2);
        int checked = 0;
        for (int t = 0; t < 60; t++) {
            int g = rng.nextInt(1, 3), cg = rng.nextInt(1, 3), mg = rng.nextInt(1, 3);
            Op.Conv op = new Op.Conv(new Hw(rng.nextInt(1, 3), rng.nextInt(1, 3)),
                    new Pads(rng.nextInt(0, 3), rng.nextInt(0, 3), rng.nextInt(0, 3), rng.nextInt(0, 3)),
                    new Hw(rng.nextInt(1, 3), rng.nextInt(1, 3)), g, Activation.NONE);
            int[] xs = {2, cg * g, rng.nextInt(5, 9), rng.nextInt(5, 9)};
            int[] ws = {mg * g, cg, rng.nextInt(1, 4), rng.nextInt(1, 4)};
            Tensor x = Tensor.random(rng, -1, 1, xs), w = Tensor.random(rng, -1, 1, ws);
            double[] ref;
            try {
                ref = reference(op, x, w);
            } catch (ModelException tooSmall) {
                continue;
            }
            ConvGeometry geo = ConvGeometry.of("c", op, xs, ws);
            double[] cudnn = cudnnForwardModel(geo, prePad(geo, x.data()), w.data());
            assertArrayEquals(ref, cudnn, 1e-9, geo.toString());
            checked++;
        }
        assertTrue(checked > 30, "enough cases ran: " + checked);
    }

    @Test
    void convTransposeDimsMatchShapeInferenceAndCudnnSizeRelation() {
        SplittableRandom rng = new SplittableRandom(3);
        int checked = 0;
        for (int t = 0; t < 800; t++) {
            Op.ConvTranspose op = randomConvTranspose(rng);
            int g = op.group();
            int[] x = {rng.nextInt(1, 3), rng.nextInt(1, 4) * g, rng.nextInt(1, 9), rng.nextInt(1, 9)};
            int[] w = {x[1], rng.nextInt(1, 4), rng.nextInt(1, 5), rng.nextInt(1, 5)};
            int[] expected;
            try {
                expected = ShapeInference.outputShape(node(op), new int[][] {x, w});
            } catch (ModelException empty) {
                continue;
            }
            ConvTransposeGeometry geo;
            try {
                geo = ConvTransposeGeometry.of("d", op, x, w);
            } catch (ModelException outputPaddingTooLarge) {
                assertTrue(op.outputPadding().h() >= op.strides().h() || op.outputPadding().w() >= op.strides().w());
                continue;
            }
            assertArrayEquals(expected, geo.outputDims(), geo.toString());
            // cuDNN checks that a forward convolution of dx gives dy's size
            assertEquals(x[2], ConvGeometry.forwardOut(geo.fullH(), geo.padH(), geo.kh(), geo.strideH(), geo.dilationH()));
            assertEquals(x[3], ConvGeometry.forwardOut(geo.fullW(), geo.padW(), geo.kw(), geo.strideW(), geo.dilationW()));
            assertTrue(geo.cropTop() >= 0 && geo.cropTop() + geo.outH() <= geo.fullH(), geo.toString());
            assertTrue(geo.cropLeft() >= 0 && geo.cropLeft() + geo.outW() <= geo.fullW(), geo.toString());
            checked++;
        }
        assertTrue(checked > 300, "enough cases ran: " + checked);
    }

    @Test
    void symmetricPadsWithOutputPaddingNeedNoCrop() {
        var op = new Op.ConvTranspose(Hw.of(2), Pads.of(1), Hw.ONE, 1, Hw.of(1));
        var geo = ConvTransposeGeometry.of("d", op, new int[] {1, 4, 7, 7}, new int[] {4, 2, 3, 3});
        assertEquals(14, geo.outH());
        assertFalse(geo.needsCrop());
    }

    @Test
    void convTransposeValuesThroughBackwardDataAndCropMatchTheReference() {
        SplittableRandom rng = new SplittableRandom(4);
        int checked = 0;
        for (int t = 0; t < 200 && checked < 60; t++) {
            Op.ConvTranspose op = randomConvTranspose(rng);
            int g = op.group();
            int[] xs = {2, rng.nextInt(1, 3) * g, rng.nextInt(1, 6), rng.nextInt(1, 6)};
            int[] ws = {xs[1], rng.nextInt(1, 3), rng.nextInt(1, 4), rng.nextInt(1, 4)};
            Tensor x = Tensor.random(rng, -1, 1, xs), w = Tensor.random(rng, -1, 1, ws);
            double[] ref;
            ConvTransposeGeometry geo;
            try {
                ref = reference(op, x, w);
                geo = ConvTransposeGeometry.of("d", op, xs, ws);
            } catch (ModelException skip) {
                continue;
            }
            double[] full = cudnnBackwardDataModel(geo, x.data(), w.data());
            assertArrayEquals(ref, crop(geo, full), 1e-9, geo + " " + op);
            checked++;
        }
        assertTrue(checked >= 60, "enough cases ran: " + checked);
    }

    @Test
    void outputPaddingBeyondTheStrideIsRefusedByName() {
        var op = new Op.ConvTranspose(Hw.of(1), Pads.NONE, Hw.of(2), 1, Hw.of(1)); // legal in ONNX via dilation
        var e = assertThrows(ModelException.class, () -> ConvTransposeGeometry.of("up3", op, new int[] {1, 1, 4, 4}, new int[] {1, 1, 3, 3}));
        assertTrue(e.getMessage().startsWith("node 'up3' (ConvTranspose)"), e.getMessage());
    }

    // ---- helpers ----

    private static Op.ConvTranspose randomConvTranspose(SplittableRandom rng) {
        int sh = rng.nextInt(1, 4), sw = rng.nextInt(1, 4);
        return new Op.ConvTranspose(new Hw(sh, sw),
                new Pads(rng.nextInt(0, 3), rng.nextInt(0, 3), rng.nextInt(0, 3), rng.nextInt(0, 3)),
                new Hw(rng.nextInt(1, 3), rng.nextInt(1, 3)), rng.nextInt(1, 3),
                new Hw(rng.nextInt(0, sh), rng.nextInt(0, sw)));
    }

    private static io.foldrt.ir.Node node(Op op) {
        return new io.foldrt.ir.Node("n", op, List.of("x", "w"), List.of("y"));
    }

    private static double[] reference(Op op, Tensor x, Tensor w) {
        var b = new GraphBuilder("g", 1);
        String xi = b.input("x", x.shape());
        String wi = b.constant("w", w);
        b.output(b.node("n", op, List.of(xi, wi), List.of("y")));
        Graph g = b.build();
        return ReferenceInterpreter.run(g, Map.of("x", x)).get("y").data();
    }

    /** Zero-pads the asymmetric remainder, as the pad_crop kernel does with negative offsets. */
    private static double[] prePad(ConvGeometry g, float[] x) {
        int[] d = g.cudnnInputDims();
        double[] out = new double[d[0] * d[1] * d[2] * d[3]];
        for (int p = 0; p < g.n() * g.c(); p++)
            for (int y = 0; y < d[2]; y++)
                for (int xx = 0; xx < d[3]; xx++) {
                    int sy = y - g.prePadTop(), sx = xx - g.prePadLeft();
                    if (sy >= 0 && sy < g.h() && sx >= 0 && sx < g.w()) out[(p * d[2] + y) * d[3] + xx] = x[(p * g.h() + sy) * g.w() + sx];
                }
        return out;
    }

    /** cuDNN forward cross-correlation with symmetric padding and groups. */
    private static double[] cudnnForwardModel(ConvGeometry g, double[] x, float[] w) {
        int[] in = g.cudnnInputDims();
        int h = in[2], wd = in[3], kPerGroup = g.k() / g.groups();
        double[] y = new double[g.n() * g.k() * g.outH() * g.outW()];
        for (int n = 0; n < g.n(); n++)
            for (int k = 0; k < g.k(); k++)
                for (int oy = 0; oy < g.outH(); oy++)
                    for (int ox = 0; ox < g.outW(); ox++) {
                        double acc = 0;
                        for (int c = 0; c < g.cPerGroup(); c++) {
                            int cx = (k / kPerGroup) * g.cPerGroup() + c;
                            for (int ky = 0; ky < g.kh(); ky++)
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int iy = oy * g.strideH() - g.padH() + ky * g.dilationH();
                                    int ix = ox * g.strideW() - g.padW() + kx * g.dilationW();
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                                    acc += x[((n * g.c() + cx) * h + iy) * wd + ix] * w[((k * g.cPerGroup() + c) * g.kh() + ky) * g.kw() + kx];
                                }
                        }
                        y[((n * g.k() + k) * g.outH() + oy) * g.outW() + ox] = acc;
                    }
        return y;
    }

    /**
     * cuDNN backward data: the adjoint of the forward convolution that maps dx [N, M, fullH, fullW] to
     * dy [N, C, H, W] with filter [C, M/g, kh, kw] (C plays the forward K).
     */
    private static double[] cudnnBackwardDataModel(ConvTransposeGeometry g, float[] dy, float[] w) {
        int k = g.cIn(), kPerGroup = k / g.groups(), c = g.mPerGroup(), m = g.m();
        double[] dx = new double[g.n() * m * g.fullH() * g.fullW()];
        for (int n = 0; n < g.n(); n++)
            for (int kk = 0; kk < k; kk++)
                for (int oy = 0; oy < g.h(); oy++)
                    for (int ox = 0; ox < g.w(); ox++) {
                        double v = dy[((n * k + kk) * g.h() + oy) * g.w() + ox];
                        for (int cc = 0; cc < c; cc++) {
                            int cx = (kk / kPerGroup) * c + cc;
                            for (int ky = 0; ky < g.kh(); ky++)
                                for (int kx = 0; kx < g.kw(); kx++) {
                                    int iy = oy * g.strideH() - g.padH() + ky * g.dilationH();
                                    int ix = ox * g.strideW() - g.padW() + kx * g.dilationW();
                                    if (iy < 0 || iy >= g.fullH() || ix < 0 || ix >= g.fullW()) continue;
                                    dx[((n * m + cx) * g.fullH() + iy) * g.fullW() + ix] += v * w[((kk * c + cc) * g.kh() + ky) * g.kw() + kx];
                                }
                        }
                    }
        return dx;
    }

    /** The pad_crop kernel with positive offsets. */
    private static double[] crop(ConvTransposeGeometry g, double[] full) {
        double[] out = new double[g.n() * g.m() * g.outH() * g.outW()];
        for (int p = 0; p < g.n() * g.m(); p++)
            for (int y = 0; y < g.outH(); y++)
                for (int x = 0; x < g.outW(); x++) {
                    int sy = y + g.cropTop(), sx = x + g.cropLeft();
                    out[(p * g.outH() + y) * g.outW() + x] = sy < g.fullH() && sx < g.fullW()
                            ? full[(p * g.fullH() + sy) * g.fullW() + sx] : 0;
                }
        return out;
    }
}
