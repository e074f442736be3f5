package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Conv (GEMM and depthwise paths) and ConvTranspose against the reference; tolerance in {@link Oracle}. */
class ConvTest {

    /** One conv layer on an input of C x H x W; returns the graph. */
    private static Graph conv(int c, int h, int w, int outC, int kh, int kw, Hw stride, Pads pads, Hw dil, int group,
                              boolean bias) {
        var b = new GraphBuilder("conv", 7);
        String x = b.input("x", Shapes.BATCH, c, h, w);
        b.output(b.conv(x, outC, kh, kw, stride, pads, dil, group, bias));
        return b.build();
    }

    @Test
    void basicPaddedAndStrided() {
        Oracle.check(conv(3, 9, 11, 8, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true));
        Oracle.check(conv(5, 13, 10, 7, 3, 3, Hw.of(2), Pads.of(1), Hw.ONE, 1, false));
        Oracle.check(conv(4, 16, 15, 6, 7, 7, Hw.of(2), Pads.of(3), Hw.ONE, 1, true));
    }

    @Test
    void asymmetricPadsMixedStridesAndDilation() {
        Oracle.check(conv(3, 17, 17, 8, 3, 3, new Hw(2, 1), new Pads(1, 0, 2, 1), new Hw(1, 2), 1, false));
        Oracle.check(conv(2, 12, 9, 5, 5, 3, new Hw(1, 3), new Pads(0, 2, 3, 0), new Hw(2, 1), 1, true));
        Oracle.check(conv(3, 14, 14, 4, 5, 5, Hw.ONE, Pads.of(3), Hw.of(2), 1, true));
    }

    @Test
    void samePaddedStrideOneConvsTakeTheShiftedCopyPath() {
        // Output rows as wide as input rows: each im2col row is a shifted copy with padded columns zeroed.
        Oracle.check(conv(3, 7, 9, 5, 3, 3, Hw.ONE, Pads.of(2), Hw.of(2), 1, true));               // dilated
        Oracle.check(conv(2, 6, 8, 4, 5, 5, Hw.ONE, Pads.of(2), Hw.ONE, 1, false));               // 5x5
        Oracle.check(conv(3, 6, 7, 4, 3, 3, Hw.ONE, new Pads(0, 2, 1, 0), Hw.ONE, 1, true));       // lopsided
        Oracle.check(conv(2, 5, 6, 3, 4, 1, Hw.ONE, new Pads(3, 0, 0, 0), Hw.ONE, 1, true));       // taller than pad
        Oracle.check(conv(2, 31, 33, 3, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true), 2, 2);        // > NR pixels
    }

    @Test
    void strideTwoRowsWideEnoughForVectorGathers() {
        // Output rows of 16+ pixels from 32+ input columns: the vector kernel's im2col reads them with lane
        // permutations, with scalar edges where a window starts in the padding or ends near the row end.
        Oracle.check(conv(3, 9, 75, 4, 3, 3, Hw.of(2), Pads.of(1), Hw.ONE, 1, true));
        Oracle.check(conv(2, 11, 70, 5, 7, 7, Hw.of(2), Pads.of(3), Hw.ONE, 1, false));
        Oracle.check(conv(2, 8, 66, 3, 3, 3, new Hw(1, 2), new Pads(0, 2, 1, 0), new Hw(1, 2), 1, true));
        Oracle.check(conv(4, 6, 64, 6, 1, 1, Hw.of(2), Pads.NONE, Hw.ONE, 2, true), 2, 2);
    }

    @Test
    void pointwiseAndStridedOneByOne() {
        Oracle.check(conv(37, 7, 5, 19, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, true));  // direct-operand path
        Oracle.check(conv(16, 9, 9, 10, 1, 1, Hw.of(2), Pads.NONE, Hw.ONE, 1, true)); // downsample: im2col
        Oracle.check(conv(6, 5, 5, 3, 1, 1, Hw.ONE, Pads.of(1), Hw.ONE, 1, false));  // padded 1x1
    }

    @Test
    void deepAndWideEnoughToCrossEveryBlockBoundary() {
        // K = 64*9 = 576 spans several KC blocks (the last partial), 24x25 = 600 pixels span two NR blocks,
        // and 30 output channels leave a partial MR panel.
        assertTrue(Sgemm.KC < 576 && Sgemm.NR < 600);
        Oracle.check(conv(64, 24, 25, 30, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true));
        Oracle.check(conv(64, 24, 25, 30, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true), 1, 1);
    }

    @Test
    void smallMapsWithManyChannelsUseTheTransposedOrientation() {
        // More output channels per group than output pixels: the loop kernel computes the tile as pixels x
        // channels; the vector kernel keeps pixel columns for these small weights (Oracle.check runs both).
        assertTrue(ConvStep.channelColumns(40, 30, 144, MicroKernel.select("loops")));
        if (MicroKernel.vectorAvailable()) assertFalse(ConvStep.channelColumns(40, 30, 144, MicroKernel.select("vector")));
        Oracle.check(conv(16, 5, 6, 40, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true));
        Oracle.check(conv(8, 4, 4, 40, 3, 3, Hw.of(2), new Pads(1, 0, 1, 1), Hw.ONE, 2, false));
        Oracle.check(conv(32, 3, 3, 64, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, true), 2, 2);
        // 600 channels cross two NR column blocks; depth 32*9 = 288 crosses KC blocks.
        Oracle.check(conv(32, 3, 4, 600, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true), 2, 3);
    }

    @Test
    void smallMapsWithLargeWeightsRunBlockedChannelColumnsOnTheVectorKernel() {
        // At most 64 pixels and >= 1 MiB of weights per group (or 4x as many channels as pixels): the vector
        // kernel also takes channel columns, with the weights in BlockedB. 100 channels end in a one-vector block (4 lanes used), 500 in a
        // two-vector one, 130 in a three-vector one; the maps end in part-filled pixel panels; depths cross KC
        // blocks; 2 and 3 threads split the packing and the channels.
        int weights = ConvStep.BLOCKED_MIN_WEIGHTS;
        if (MicroKernel.vectorAvailable()) {
            MicroKernel vector = MicroKernel.select("vector");
            assertTrue(ConvStep.channelColumns(136, 25, weights / 136 + 1, vector));
            assertFalse(ConvStep.channelColumns(136, 36, weights / 136 - 1, vector)); // small weights
            assertTrue(ConvStep.channelColumns(960, 49, 160, vector));  // small weights, 4x the pixels in channels
            assertFalse(ConvStep.channelColumns(136, 81, weights, vector));           // more than 64 pixels
        }
        Oracle.check(conv(288, 5, 5, 100, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true));
        Oracle.check(conv(288, 5, 5, 100, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, false), 2, 2);
        Oracle.check(conv(128, 13, 14, 500, 3, 3, Hw.of(2), new Pads(1, 0, 1, 1), Hw.ONE, 1, true), 1, 3);
        Oracle.check(conv(2048, 4, 4, 130, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, true), 2, 3); // 1x1, 16 pixels
        Oracle.check(conv(24, 5, 5, 112, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, true), 2, 2); // small weights, 25 pixels
        Oracle.check(conv(512, 6, 5, 1040, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 2, true), 1, 2); // grouped
    }

    @Test
    void groupedConv() {
        Oracle.check(conv(6, 8, 9, 4, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 2, true));
        Oracle.check(conv(9, 11, 7, 12, 3, 3, Hw.of(2), new Pads(1, 1, 0, 2), Hw.ONE, 3, false));
    }

    @Test
    void depthwiseConv() {
        Oracle.check(conv(8, 12, 13, 8, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 8, true));
        Oracle.check(conv(8, 15, 14, 8, 3, 3, Hw.of(2), new Pads(0, 1, 1, 0), Hw.ONE, 8, false));
        Oracle.check(conv(5, 11, 11, 10, 3, 5, new Hw(1, 2), Pads.of(2), Hw.of(2), 5, true)); // multiplier 2
        Oracle.check(conv(4, 9, 9, 4, 5, 5, Hw.ONE, Pads.of(2), Hw.ONE, 4, true), 3, 2);
    }

    @Test
    void depthwiseRowsAroundTheVectorWidth() {
        // Output widths under, just over and well over one 512-bit vector (16 floats), none a multiple of it:
        // the vector path stores planes of narrow rows through scratch and moves a row's last vector back.
        for (int w : new int[] {7, 17, 40, 113}) {
            Oracle.check(conv(3, 5, w, 3, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 3, true));
            Oracle.check(conv(3, 6, 2 * w, 3, 3, 3, Hw.of(2), Pads.of(1), Hw.ONE, 3, false)); // output width w
        }
    }

    @Test
    void depthwiseNarrowStrideOnePlanesAsOneFlatRow() {
        // Rows narrower than a vector at stride 1: computed as one flat row over the padded grid. Maps whose
        // flat row is under one vector (3x3), one or two vectors and a tail (7x7, 14x14); 3x3 and other
        // kernels, dilation, lopsided and no padding; many planes per chunk and batch 2 on 3 threads.
        Oracle.check(conv(4, 3, 3, 4, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 4, true));
        Oracle.check(conv(40, 7, 7, 40, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 40, true), 2, 3);
        Oracle.check(conv(24, 14, 14, 24, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 24, false), 1, 2);
        Oracle.check(conv(6, 9, 11, 6, 3, 3, Hw.ONE, Pads.of(2), Hw.of(2), 6, true));            // dilation 2
        Oracle.check(conv(6, 8, 10, 6, 3, 3, Hw.ONE, new Pads(0, 2, 1, 0), Hw.ONE, 6, true));    // lopsided
        Oracle.check(conv(6, 8, 12, 6, 3, 3, Hw.ONE, Pads.NONE, Hw.ONE, 6, true));               // no padding
        Oracle.check(conv(5, 9, 9, 10, 5, 5, Hw.ONE, Pads.of(2), Hw.ONE, 5, true));              // 5x5, multiplier 2
        Oracle.check(conv(4, 7, 13, 4, 1, 3, Hw.ONE, new Pads(0, 1, 0, 1), Hw.ONE, 4, true));    // 1x3
        // Two depthwise layers of different padded geometry in a row: the second's zero padding lies where
        // the first wrote interiors into the same scratch, so it must be zeroed again on every run.
        var b = new GraphBuilder("dw2", 17);
        String x = b.input("x", Shapes.BATCH, 8, 12, 12);
        x = b.conv(x, 8, 3, 3, Hw.ONE, Pads.NONE, Hw.ONE, 8, true);
        b.output(b.conv(x, 8, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 8, true));
        Oracle.check(b.build(), 2, 2);
    }

    @Test
    void depthwiseGeometriesOnWideRows() {
        Oracle.check(conv(4, 9, 20, 4, 3, 3, Hw.ONE, Pads.NONE, Hw.ONE, 4, true));              // no padding
        Oracle.check(conv(3, 8, 33, 3, 3, 3, Hw.of(2), new Pads(0, 2, 1, 0), Hw.ONE, 3, true)); // lopsided pads
        Oracle.check(conv(3, 9, 40, 3, 3, 3, Hw.ONE, Pads.of(2), Hw.of(2), 3, true));           // dilation 2
        Oracle.check(conv(2, 12, 45, 2, 3, 3, Hw.of(2), Pads.of(2), Hw.of(2), 2, false));       // dilation 2, stride 2
        Oracle.check(conv(4, 11, 37, 4, 5, 5, Hw.of(2), Pads.of(2), Hw.ONE, 4, true));          // 5x5, stride 2
        Oracle.check(conv(2, 10, 50, 2, 3, 3, Hw.of(3), Pads.of(1), Hw.ONE, 2, true));          // stride 3
        Oracle.check(conv(3, 7, 40, 6, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 3, true), 2, 2);       // multiplier 2, batch 2
        Oracle.check(conv(4, 9, 17, 4, 5, 5, Hw.ONE, Pads.of(2), Hw.ONE, 4, true), 2, 3);       // 5x5, batch 2
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "relu6", "clip", "clipMinAboveMax"})
    void depthwiseActivationsOnWideRows(String kind) {
        Activation act = switch (kind) {
            case "relu" -> Activation.RELU;
            case "relu6" -> Activation.clip(0f, 6f);
            case "clip" -> Activation.clip(-0.5f, 0.3f);
            default -> Activation.clip(0.3f, -0.5f); // the reference rule: below min gives min, else max
        };
        for (int stride : new int[] {1, 2}) {
            var b = new GraphBuilder("dwact", 13);
            String x = b.input("x", Shapes.BATCH, 3, 9, 41);
            String w = b.constant("w", b.gaussian(1.0, 3, 1, 3, 3));
            String bias = b.constant("b", Tensor.random(b.rng(), -0.5f, 0.5f, 3));
            b.output(b.node("c", new Op.Conv(Hw.of(stride), Pads.of(1), Hw.ONE, 3, act), List.of(x, w, bias),
                    List.of("y")));
            Oracle.check(b.build(), 2, 2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"relu", "relu6", "clip"})
    void activationsFusedInTheIr(String kind) {
        Activation act = switch (kind) {
            case "relu" -> Activation.RELU;
            case "relu6" -> Activation.clip(0f, 6f);
            default -> Activation.clip(-0.5f, 0.3f);
        };
        for (int group : new int[] {1, 4}) {
            var b = new GraphBuilder("fused", 11);
            String x = b.input("x", Shapes.BATCH, 4, 10, 9);
            String w = b.constant("w", b.gaussian(1.0, 8, 4 / group, 3, 3));
            String bias = b.constant("b", Tensor.random(b.rng(), -0.5f, 0.5f, 8));
            b.output(b.node("c", new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, group, act), List.of(x, w, bias),
                    List.of("y")));
            Oracle.check(b.build());
        }
    }

    @Test
    void reluAfterConvIsFusedOnlyWhenNothingElseReadsTheConv() {
        var b = new GraphBuilder("fuse", 3);
        String x = b.input("x", Shapes.BATCH, 3, 8, 8);
        b.output(b.relu6(b.conv(x, 6, 3, 1, 1)));
        Graph fusable = b.build();
        Oracle.check(fusable);
        assertEquals(1, stepCount(fusable));

        var c = new GraphBuilder("nofuse", 3);
        String x2 = c.input("x", Shapes.BATCH, 3, 8, 8);
        String conv = c.conv(x2, 6, 3, 1, 1);
        c.output(c.relu(conv));
        c.output(conv); // the pre-activation value is needed too
        Graph notFusable = c.build();
        Oracle.check(notFusable);
        assertEquals(2, stepCount(notFusable));
    }

    @Test
    void batchOfThree() {
        Oracle.check(conv(5, 10, 10, 9, 3, 3, Hw.of(2), Pads.of(1), Hw.ONE, 1, true), 3, 2);
    }

    @Test
    void convTransposeStrideOutputPaddingBias() {
        var b = new GraphBuilder("deconv", 5);
        String x = b.input("x", Shapes.BATCH, 6, 5, 7);
        b.output(b.convTranspose(x, 4, 3, Hw.of(2), Pads.of(1), Hw.of(1), 1, true));
        Oracle.check(b.build());
        Oracle.check(b.build(), 2, 2);
    }

    @Test
    void convTransposeGroupsDilationAsymmetricPads() {
        Oracle.check(deconv(6, 7, 5, 4, 3, new Hw(2, 1), new Pads(1, 0, 0, 2), new Hw(1, 2), 2, new Hw(1, 0), true));
        Oracle.check(deconv(4, 6, 6, 6, 4, Hw.of(3), Pads.of(1), Hw.ONE, 2, Hw.of(2), false));
        Oracle.check(deconv(3, 9, 8, 5, 2, Hw.ONE, Pads.NONE, Hw.of(2), 1, Hw.ZERO, true));
    }

    private static Graph deconv(int c, int h, int w, int outC, int k, Hw stride, Pads pads, Hw dil, int group,
                                Hw outPad, boolean bias) {
        var b = new GraphBuilder("deconv", 9);
        String x = b.input("x", Shapes.BATCH, c, h, w);
        List<String> in = new ArrayList<>(List.of(x, b.constant("w", b.gaussian(0.5, c, outC / group, k, k))));
        if (bias) in.add(b.constant("b", Tensor.random(b.rng(), -0.2f, 0.2f, outC)));
        b.output(b.node("d", new Op.ConvTranspose(stride, pads, dil, group, outPad), in, List.of("y")));
        return b.build();
    }

    static int stepCount(Graph g) {
        try (CpuBackend cpu = new CpuBackend(1); CpuExecutable exe = cpu.compile(g, 1)) {
            return exe.steps().size();
        }
    }
}
