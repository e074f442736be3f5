package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * 3x3 stride-1 convs on the Winograd F(2x2, 3x3) path against the float64 reference, with the tolerance every
 * CPU test uses ({@link Oracle}): odd and even map sides (a half-outside last tile), every padding, channel
 * counts that are not whole panels, tile counts around the block width, batches, and the fused bias,
 * residual and activations; plus the rule that picks the path.
 */
class WinogradConvTest {

    private static Graph conv(int cin, int cout, int hw, Pads pads, boolean bias) {
        var b = new GraphBuilder("wino", 41);
        String x = b.input("x", Shapes.BATCH, cin, hw, hw + 3);
        b.output(b.conv(x, cout, 3, 3, Hw.ONE, pads, Hw.ONE, 1, bias));
        return b.build();
    }

    private static void assumeVector() {
        assumeTrue(MicroKernel.vectorAvailable(), "skipped: the Winograd path needs the Vector API kernel");
    }

    @Test
    void mapSidesPaddingsAndChannelCounts() {
        assumeVector();
        // (cin, cout, side) on side x (side + 3) maps: 24 x 27 with padding 1 is 12 x 14 = 168 tiles, three full
        // blocks and a partial one; 15 x 18 has a half-outside last tile row; 17 and 23 output channels end in
        // partial panels; 200 output channels are several 64-channel chunks
        int[][] shapes = {{16, 16, 24}, {23, 17, 15}, {70, 40, 17}, {16, 200, 14}};
        Pads[] pads = {Pads.of(1), Pads.of(0), new Pads(0, 1, 2, 0), new Pads(2, 2, 1, 1)};
        for (int[] s : shapes) {
            for (Pads p : pads) {
                Graph g = conv(s[0], s[1], s[2], p, s[0] % 2 == 0);
                assertEquals(1, winogradSteps(g, 1), "shape " + java.util.Arrays.toString(s) + " pads " + p);
                Oracle.check(g, 1, 2);
            }
        }
    }

    @Test
    void batchesThreadsAndDeepInputs() {
        assumeVector();
        Graph g = conv(300, 24, 12, Pads.of(1), true); // depth 300: three slices of the kernel
        Oracle.check(g, 3, 2);
        Oracle.check(g, 1, 1);
        Oracle.check(g, 2, 3);
    }

    @Test
    void residualAndActivationsAreAppliedAfterTheTransform() {
        assumeVector();
        for (Op act : new Op[] {new Op.Relu(), new Op.Clip(-0.25f, 0.5f), new Op.Clip(0f, 6f)}) {
            var b = new GraphBuilder("winores", 42);
            String x = b.input("x", Shapes.BATCH, 32, 15, 15);
            String sum = b.add(b.conv(x, 32, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, true), x);
            b.output(b.node(act, sum));
            Graph g = b.build();
            assertEquals(1, winogradSteps(g, 2));
            Oracle.check(g, 2, 2);
        }
    }

    @Test
    void nanInTheInputReachesTheOutput() {
        assumeVector();
        Graph g = conv(16, 16, 16, Pads.of(1), true);
        Map<String, Tensor> in = Oracle.inputs(g, 1, 7);
        float[] data = in.get("x").data();
        data[5 * 19 + 7] = Float.NaN; // channel 0, row 5, column 7 of the 16 x 19 plane
        try (CpuBackend cpu = new CpuBackend(2, MicroKernel.select("vector"));
             CpuExecutable exe = cpu.compile(g, 1)) {
            float[] y = exe.run(in).values().iterator().next().data();
            int plane = 16 * 19;
            for (int m = 0; m < 16; m++) {
                assertTrue(Float.isNaN(y[m * plane + 5 * 19 + 7]), "output channel " + m + " at the NaN's position");
                assertFalse(Float.isNaN(y[m * plane + 12 * 19 + 15]), "output channel " + m + " far from it");
            }
        }
    }

    @Test
    void theRuleTakesOnlyWhatTheStepComputes() {
        MicroKernel vector = new VectorMicroKernel(), loops = new LoopMicroKernel();
        ConvGeometry g56 = new ConvGeometry(56, 56, 3, 3, 1, 1, 1, 1, 1, 1, 56, 56);
        assertTrue(Winograd.applies(vector, 1, 64, 64, g56, Activation.RELU));
        assertFalse(Winograd.applies(loops, 1, 64, 64, g56, Activation.RELU));
        assertFalse(Winograd.applies(vector, 2, 64, 64, g56, Activation.RELU));
        assertFalse(Winograd.applies(vector, 1, 8, 64, g56, Activation.RELU));
        assertFalse(Winograd.applies(vector, 1, 64, 64, new ConvGeometry(56, 56, 3, 3, 2, 2, 1, 1, 1, 1, 28, 28),
                Activation.RELU));
        assertFalse(Winograd.applies(vector, 1, 64, 64, new ConvGeometry(56, 56, 3, 3, 1, 1, 2, 2, 2, 2, 56, 56),
                Activation.RELU));
        assertFalse(Winograd.applies(vector, 1, 64, 64, new ConvGeometry(56, 56, 5, 5, 1, 1, 1, 1, 2, 2, 56, 56),
                Activation.RELU));
        // ResNet's 7x7 stage: 16 tiles; its 14x14 stage: 49
        assertFalse(Winograd.applies(vector, 1, 512, 512, new ConvGeometry(7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 7, 7),
                Activation.RELU));
        assertTrue(Winograd.applies(vector, 1, 256, 256, new ConvGeometry(14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 14, 14),
                Activation.RELU));
        assertFalse(Winograd.applies(vector, 1, 64, 64, g56, Activation.clip(1f, 0f)));
    }

    @Test
    void offRunsEveryConvThroughIm2col() {
        assumeVector();
        Graph g = conv(16, 16, 16, Pads.of(1), true);
        try (CpuBackend off = new CpuBackendProvider().open(0, Map.of("winograd", "off"));
             CpuExecutable exe = off.compile(g, 1)) {
            assertEquals(0, exe.steps().stream().filter(s -> s instanceof WinogradConvStep).count());
        }
    }

    @Test
    void theOptionIsValidated() {
        var e = assertThrows(ModelException.class, () -> new CpuBackendProvider().open(0, Map.of("winograd", "on")));
        assertEquals("cpu backend option winograd must be auto or off, got 'on'", e.getMessage());
    }

    @Test
    void transformedWeightsAreExactForAnImpulse() {
        // g = the centre tap only: G g G^T is the outer product of G's middle column with itself
        float[] w = new float[9];
        w[4] = 1f;
        PackedA[] u = Winograd.transformWeights(w, 1, 1);
        double[] mid = {0, 0.5, -0.5, 0};
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                assertEquals(mid[i] * mid[j], u[i * 4 + j].data()[0], 0.0, "position " + i + "," + j);
            }
        }
    }

    private static long winogradSteps(Graph g, int batch) {
        try (CpuBackend cpu = new CpuBackend(2, MicroKernel.select("vector"));
             CpuExecutable exe = cpu.compile(g, batch)) {
            return exe.steps().stream().filter(s -> s instanceof WinogradConvStep).count();
        }
    }
}
