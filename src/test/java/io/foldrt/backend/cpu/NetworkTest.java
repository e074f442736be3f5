package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Whole networks: buffer reuse, batch > 1, thread-count independence; tolerance in {@link Oracle}. */
class NetworkTest {

    /**
     * A small ResNet: stem, residual blocks with and without a downsampling shortcut, a concat that reads
     * the stem output at the very end (a long-lived value among many short-lived ones), pooling and a
     * classifier. Any buffer the planner hands out while its value is still live corrupts the result.
     */
    static Graph residualNet() {
        var b = new GraphBuilder("resnet-mini", 99);
        String x = b.input("x", Shapes.BATCH, 3, 19, 17);
        String stem = b.relu(b.batchNorm(b.conv(x, 8, 3, 1, 1)));
        String h = b.maxPool(stem, 3, 2, 1);
        int[] widths = {8, 16, 16, 24};
        for (int i = 0; i < widths.length; i++) {
            int stride = i == 1 || i == 3 ? 2 : 1;
            String y = b.relu(b.batchNorm(b.conv(h, widths[i], 3, stride, 1)));
            y = b.batchNorm(b.conv(y, widths[i], 3, 1, 1));
            String shortcut = stride == 1 && b.shape(h)[1] == widths[i] ? h
                    : b.batchNorm(b.conv(h, widths[i], 1, 1, new Hw(stride, stride), Pads.NONE, Hw.ONE, 1, false));
            h = b.relu(b.add(y, shortcut));
        }
        String late = b.globalAveragePool(h);
        String early = b.globalAveragePool(stem);
        String feat = b.flatten(b.concat(1, late, early));
        b.output(b.softmax(b.linear(feat, 10, true), 1));
        b.output(h);
        return b.build();
    }

    /** MobileNet-style blocks: depthwise conv + BN + ReLU6, pointwise conv + BN, residual when shapes allow. */
    static Graph mobileNet() {
        var b = new GraphBuilder("mobile-mini", 5);
        String x = b.input("x", Shapes.BATCH, 3, 24, 24);
        String h = b.relu6(b.batchNorm(b.conv(x, 16, 3, 2, 1)));
        for (int i = 0; i < 3; i++) {
            int c = b.shape(h)[1];
            String y = b.relu6(b.batchNorm(b.conv(h, c, 3, 3, Hw.of(i == 1 ? 2 : 1), Pads.of(1), Hw.ONE, c, false)));
            y = b.batchNorm(b.conv(y, i == 2 ? 24 : c, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 1, false));
            h = b.shape(y)[1] == c && b.shape(y)[2] == b.shape(h)[2] ? b.add(h, y) : y;
        }
        b.output(b.linear(b.flatten(b.globalAveragePool(h)), 7, true));
        return b.build();
    }

    @Test
    void residualNetworkMatchesReference() {
        Oracle.check(residualNet(), 1, 2);
        Oracle.check(residualNet(), 3, 2);
    }

    @Test
    void mobileNetMatchesReference() {
        Oracle.check(mobileNet(), 2, 2);
    }

    @Test
    void resultIsIdenticalForAnyThreadCountAndAcrossRuns() {
        for (Graph g : new Graph[] {residualNet(), mobileNet()}) {
            Map<String, Tensor> in = Oracle.inputs(g, 2, 77);
            Map<String, Tensor> one, many, again;
            try (CpuBackend cpu = new CpuBackend(1); CpuExecutable exe = cpu.compile(g, 2)) {
                one = exe.run(in);
            }
            try (CpuBackend cpu = new CpuBackend(3); CpuExecutable exe = cpu.compile(g, 2)) {
                many = exe.run(in);
                again = exe.run(in); // planned buffers carry nothing over from the previous run
            }
            for (String name : one.keySet()) {
                // Splitting work never changes any element's summation order, so results are bitwise equal.
                assertArrayEquals(one.get(name).data(), many.get(name).data(), g.name() + ":" + name);
                assertArrayEquals(many.get(name).data(), again.get(name).data(), g.name() + ":" + name);
                assertNotSame(many.get(name).data(), again.get(name).data(), "each run returns fresh outputs");
            }
        }
    }

    @Test
    void plannerReusesBuffers() {
        try (CpuBackend cpu = new CpuBackend(2); CpuExecutable exe = cpu.compile(residualNet(), 2)) {
            long planned = exe.plannedActivationBytes(), unshared = exe.unsharedActivationBytes();
            // ~35 values and temporaries, of which only a few are live at once: reuse must at least halve it.
            assertTrue(planned > 0 && planned < unshared / 2,
                    "planned " + planned + " bytes vs " + unshared + " bytes for one buffer per value");
        }
    }
}
