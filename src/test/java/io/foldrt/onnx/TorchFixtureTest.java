package io.foldrt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.foldrt.ir.Graph;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Real torch.onnx.export output (PyTorch 1.13, see src/test/resources/fixtures/make_torch_fixtures.py): a small
 * CNN with Conv/BN/ReLU, depthwise + ReLU6 (Clip), a residual projection, MaxPool, grouped ConvTranspose,
 * Linear + BatchNorm1d and Softmax, with a dynamic batch axis. Checked against ONNX Runtime by {@link OrtCheck}.
 */
class TorchFixtureTest {

    @ParameterizedTest
    @ValueSource(ints = {9, 13})
    void pytorchExportAgreesWithOnnxRuntime(int opset) throws IOException {
        String name = "torch_cnn_opset" + opset + ".onnx";
        byte[] bytes;
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + name)) {
            assertNotNull(in, name);
            bytes = in.readAllBytes();
        }
        Graph g = OrtCheck.check(name, bytes, 1, 3);
        assertEquals(opset, OnnxImporter.opsetOf(bytes, name));
        assertArrayEquals(new int[] {Shapes.BATCH, 3, 16, 16}, g.input("input").shape());
        assertArrayEquals(new int[] {Shapes.BATCH, 5}, g.outputs().get(0).shape());
        long bns = g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).count();
        assertEquals(6, bns, "every BatchNorm reaches the planner as a node");
        assertEquals(new Op.Clip(0f, 6f), g.nodes().stream().filter(n -> n.op() instanceof Op.Clip).findFirst().orElseThrow().op());
    }
}
