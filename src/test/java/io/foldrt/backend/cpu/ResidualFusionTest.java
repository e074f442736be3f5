package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A residual Add fused into the Conv or BatchNorm step before it (with the Relu/Clip after it), on every
 * conv path, against the float64 reference (tolerance in {@link Oracle}); and the cases that must stay
 * separate steps, which must still compute the same.
 */
class ResidualFusionTest {

    /**
     * relu(conv(x) + x) with a k x k conv keeping the shape; {@code channels} and {@code hw} pick the path.
     */
    private static Graph convAddRelu(int channels, int hw, int k, int group, boolean clip) {
        var b = new GraphBuilder("res", 31);
        String x = b.input("x", Shapes.BATCH, channels, hw, hw);
        String sum = b.add(b.conv(x, channels, k, k, Hw.ONE, Pads.of(k / 2), Hw.ONE, group, true), x);
        b.output(clip ? b.node(new Op.Clip(-0.5f, 0.75f), sum) : b.relu(sum));
        return b.build();
    }

    @Test
    void convAddReluIsOneStepOnEveryConvPath() {
        // pixel columns: 6 channels (the accumulator-row epilogue), 16 channels (whole panels: the vector
        // kernel's epilogue in registers, on a 9x9 map of one full 3-vector block and a narrower one; 3x3 has
        // two depth slices, 1x1 one); grouped; and channel columns (more channels than pixels; with the
        // vector kernel the blocked variant, whose weights must reach 256K floats: 192*192*9 = 331,776; on a
        // 7x7 map its store adds the residual in whole vectors of a channel's 49 pixels, on 3x3 in scalars)
        Graph[] graphs = {convAddRelu(6, 9, 3, 1, false), convAddRelu(16, 9, 3, 1, true),
            convAddRelu(16, 9, 1, 1, false), convAddRelu(8, 7, 3, 2, true), convAddRelu(192, 3, 3, 1, false),
            convAddRelu(192, 7, 3, 1, true)};
        for (Graph g : graphs) {
            Oracle.check(g, 2, 2);
            Oracle.check(g, 1, 1);
            assertEquals(List.of("conv1 (Conv+Add+Relu)"), labels(g).stream().map(l -> l.replace("Clip", "Relu"))
                    .toList());
        }
    }

    @Test
    void separateBatchNormTakesTheResidualToo() {
        var b = new GraphBuilder("bnres", 32);
        String x = b.input("x", Shapes.BATCH, 5, 6, 7);
        String shortcut = b.input("s", Shapes.BATCH, 5, 6, 7);
        b.output(b.relu(b.add(shortcut, b.batchNorm(b.conv(x, 5, 3, 1, 1)))));
        Graph g = b.build();
        Oracle.check(g, 2, 2);
        assertEquals(List.of("conv1 (Conv)", "bn1 (BatchNormalization+Add+Relu)"), labels(g));
    }

    @Test
    void theLaterOfTwoConvOperandsTakesTheAdd() {
        // ResNet's downsampling block: the shortcut conv comes after the main branch in the graph
        var b = new GraphBuilder("down", 33);
        String x = b.input("x", Shapes.BATCH, 4, 8, 8);
        String main = b.conv(x, 6, 3, 2, 1);
        String shortcut = b.conv(x, 6, 1, 2, 0);
        b.output(b.relu(b.add(main, shortcut)));
        Graph g = b.build();
        Oracle.check(g, 2, 2);
        assertEquals(List.of("conv1 (Conv)", "conv2 (Conv+Add+Relu)"), labels(g));
    }

    @Test
    void addsThatMustStaySeparateStillComputeTheSame() {
        // a broadcast operand
        var b = new GraphBuilder("bcast", 34);
        String x = b.input("x", Shapes.BATCH, 4, 6, 6);
        b.output(b.relu(b.add(b.conv(x, 4, 3, 1, 1), b.constant("c", Tensor.random(b.rng(), -1f, 1f, 1, 4, 1, 1)))));
        Graph broadcast = b.build();
        Oracle.check(broadcast, 2, 2);
        assertEquals(2, labels(broadcast).size());

        // the conv's own activation comes before the add: relu(conv) + x is not relu(conv + x)
        var c = new GraphBuilder("act", 35);
        String x2 = c.input("x", Shapes.BATCH, 4, 6, 6);
        String w = c.constant("w", Tensor.random(c.rng(), -0.5f, 0.5f, 4, 4, 3, 3));
        String conv = c.node(new Op.Conv(Hw.ONE, Pads.of(1), Hw.ONE, 1, Activation.RELU), x2, w);
        c.output(c.add(conv, x2));
        Graph ownActivation = c.build();
        Oracle.check(ownActivation, 2, 2);
        assertEquals(2, labels(ownActivation).size());

        // the conv output is read twice (x + x reads it through both operands)
        var d = new GraphBuilder("twice", 36);
        String conv3 = d.conv(d.input("x", Shapes.BATCH, 4, 6, 6), 4, 3, 1, 1);
        d.output(d.add(conv3, conv3));
        Graph doubled = d.build();
        Oracle.check(doubled, 2, 2);
        assertEquals(2, labels(doubled).size());

        // the conv output is a graph output as well
        var e = new GraphBuilder("out", 37);
        String x4 = e.input("x", Shapes.BATCH, 4, 6, 6);
        String conv4 = e.conv(x4, 4, 3, 1, 1);
        e.output(e.add(conv4, x4));
        e.output(conv4);
        Graph exposed = e.build();
        Oracle.check(exposed, 2, 2);
        assertEquals(2, labels(exposed).size());
    }

    private static List<String> labels(Graph g) {
        try (CpuBackend cpu = new CpuBackend(1); CpuExecutable exe = cpu.compile(g, 1)) {
            return exe.stepLabels();
        }
    }
}
