package io.foldrt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The exporter: round trips, fused activations, opset-dependent encodings, files. */
class OnnxExporterTest {

    /** A graph with every op of the IR, expressible at {@code opset} (ceil_mode needs 10; Softmax form per opset). */
    static Graph everyOp(int opset) {
        var b = new GraphBuilder("every-op", 100 + opset);
        String x = b.input("x", Shapes.BATCH, 3, 10, 10);
        String c = b.relu(b.batchNorm(b.conv(x, 8, 3, 3, new Hw(2, 1), new Pads(1, 0, 2, 1), new Hw(1, 2), 1, true)));
        String dw = b.relu6(b.batchNorm(b.conv(c, 8, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 8, false)));
        String up = b.convTranspose(dw, 4, 3, Hw.of(2), new Pads(1, 0, 1, 1), new Hw(1, 0), 2, true);
        String mp = b.node(new Op.MaxPool(Hw.of(3), Hw.of(2), new Pads(1, 1, 0, 1), opset >= 10 ? new Hw(1, 2) : Hw.ONE,
                opset >= 10), up);
        String ap = b.node(new Op.AveragePool(new Hw(3, 4), Hw.of(2), new Pads(1, 1, 0, 1), opset >= 10, false), up);
        String cat = b.concat(1, mp, ap);
        String se = b.sigmoid(b.conv(b.globalAveragePool(cat), 8, 1, 1, 0));
        String scaled = b.mul(cat, se);
        String sm = b.node(new Op.Softmax(1, opset < 13), scaled);
        String id = b.identity(sm);
        String flat = b.node(new Op.Flatten(opset >= 11 ? -3 : 1), id); // negative axes need opset 11
        String fc = b.relu(b.batchNorm(b.linear(flat, 16, true)));
        String mm = b.add(b.matMul(fc, 12), b.constant("mm_bias", Tensor.random(b.rng(), -1, 1, 12)));
        String clip = b.node(new Op.Clip(Float.NEGATIVE_INFINITY, 0.5f), mm);
        b.output(b.reshape(clip, 0, 3, -1));
        // Gemm with alpha, beta and a [1, N] C, then a BN with explicit statistics and epsilon.
        int[] s = b.shape(fc);
        String gm = b.node(new Op.Gemm(0.5f, 2f, false, false, Activation.NONE),
                fc, b.constant("g_w", b.gaussian(0.3, s[1], 6)), b.constant("g_c", b.gaussian(0.3, 1, 6)));
        b.output(b.batchNorm(gm, b.gaussian(1, 6), b.gaussian(1, 6), b.gaussian(1, 6), Tensor.random(b.rng(), 0.5f, 1.5f, 6), 1e-3));
        return b.build();
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21})
    void everyOpRoundTripsAndRunsInOrt(int opset) {
        Graph built = everyOp(opset);
        byte[] bytes = OrtCheck.checkExport("every-op", built, opset, 1, 3);
        // A graph built in code may hold a float64 BN epsilon that ONNX stores as float32; what was imported
        // from ONNX is exactly representable, so from there on the round trip is exact.
        Graph g = OnnxImporter.parse(bytes, "every-op");
        byte[] again = OnnxExporter.toBytes(g, opset);
        assertEquals(g, OnnxImporter.parse(again, "every-op again"), "import(export(g)) == g at opset " + opset);
        assertArrayEquals(bytes, again, "export(import(export(g))) == export(g)");
        assertEquals(opset, OnnxImporter.opsetOf(bytes, "every-op"));
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 11, 13, 21})
    void fusedActivationsBecomeReluAndClipNodes(int opset) {
        var b = new GraphBuilder("fused", 7);
        String x = b.input("x", Shapes.BATCH, 4, 6, 6);
        String c1 = b.conv(x, 6, 3, 1, 1);
        String c2 = b.conv(c1, 6, 3, 1, 1);
        String flat = b.flatten(b.globalAveragePool(c2));
        String f1 = b.linear(flat, 5, true);
        String f2 = b.linear(f1, 4, false);
        b.output(f2);
        Graph plain = b.build();
        // Fuse as the planner does: Conv+ReLU, Conv+ReLU6, Gemm+Clip(-0.5, 0.5), Gemm+Clip(max only).
        List<Node> nodes = new ArrayList<>();
        for (Node n : plain.nodes()) {
            Op op = switch (n.op()) {
                case Op.Conv cv when n.output().equals(c1) -> cv.withActivation(Activation.RELU);
                case Op.Conv cv -> cv.withActivation(Activation.clip(0f, 6f));
                case Op.Gemm gm when n.output().equals(f1) -> gm.withActivation(Activation.clip(-0.5f, 0.5f));
                case Op.Gemm gm -> gm.withActivation(Activation.clip(Float.NEGATIVE_INFINITY, 0.1f));
                default -> n.op();
            };
            nodes.add(new Node(n.name(), op, n.inputs(), n.outputs()));
        }
        Graph fused = plain.withNodes(nodes, plain.initializers());
        byte[] bytes = OrtCheck.checkExport("fused", fused, opset, 1, 2);
        List<String> types = model(bytes).getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertEquals(List.of("Conv", "Relu", "Conv", "Clip", "GlobalAveragePool", "Flatten", "Gemm", "Clip", "Gemm", "Clip"), types);
        // Re-import gives the unfused form, with the same names for the values the rest of the graph reads.
        Graph back = OnnxImporter.parse(bytes, "fused");
        assertEquals(new Op.Clip(0f, 6f), back.producer(c2).op());
        assertEquals(fused.outputs(), back.outputs());
    }

    /** The IR's BN may pass its running statistics through as outputs; ONNX inference BN has one output. */
    @ParameterizedTest
    @ValueSource(ints = {9, 14, 21})
    void batchNormStatisticsOutputsBecomeIdentityNodes(int opset) {
        var b = new GraphBuilder("bn-stats", 5);
        String x = b.input("x", Shapes.BATCH, 3, 4, 4);
        b.output(b.node("bn", new Op.BatchNorm(1e-3), List.of(x, b.constant("g", b.gaussian(1, 3)), b.constant("b", b.gaussian(1, 3)),
                b.constant("m", b.gaussian(1, 3)), b.constant("v", Tensor.random(b.rng(), 0.5f, 1.5f, 3))),
                List.of("y", "mean_out", "var_out")));
        Graph y = b.build();
        List<ValueInfo> outs = new ArrayList<>(y.outputs());
        outs.add(new ValueInfo("mean_out", new int[] {3}));
        outs.add(new ValueInfo("var_out", new int[] {3}));
        Graph g = new Graph(y.name(), y.inputs(), outs, y.nodes(), y.initializers());
        byte[] bytes = OrtCheck.checkExport("bn-stats", g, opset, 1, 2);
        List<String> types = model(bytes).getGraph().getNodeList().stream().map(NodeProto::getOpType).toList();
        assertEquals(List.of("BatchNormalization", "Identity", "Identity"), types);
    }

    @Test
    void oldSoftmaxIsRewrittenForOpset13AndNewSoftmaxRefusedBefore13() {
        var b = new GraphBuilder("softmax", 3);
        String x = b.input("x", Shapes.BATCH, 4, 3, 5);
        b.output(b.node(new Op.Softmax(1, true), x));
        b.output(b.node(new Op.Softmax(-1, true), x));
        Graph old = b.build();
        for (int opset : new int[] {11, 13, 17}) OrtCheck.checkExport("softmax-coerce2d", old, opset, 1, 3);

        var n = new GraphBuilder("softmax-new", 3);
        String y = n.input("y", Shapes.BATCH, 4, 3, 5);
        n.output(n.node(new Op.Softmax(1, false), y));
        Graph single = n.build();
        OrtCheck.checkExport("softmax-axis", single, 13, 1, 2);
        var e = assertThrows(ModelException.class, () -> OnnxExporter.toBytes(single, 12));
        assertTrue(e.getMessage().contains("needs opset 13"), e.getMessage());
    }

    @Test
    void attributesTheTargetOpsetLacksAreRefused() {
        var b = new GraphBuilder("old", 3);
        String x = b.input("x", 1, 2, 7, 7);
        b.output(b.node(new Op.MaxPool(Hw.of(2), Hw.of(2), Pads.NONE, Hw.ONE, true), x));
        Graph ceil = b.build();
        var e = assertThrows(ModelException.class, () -> OnnxExporter.toBytes(ceil, 9));
        assertTrue(e.getMessage().contains("ceil_mode needs opset 10"), e.getMessage());

        var r = new GraphBuilder("zero", 3);
        String y = r.input("y", 1, 0, 3); // an empty tensor: allowzero keeps the literal 0
        r.output(r.node(new Op.Reshape(List.of(0L, 6L), true), y));
        Graph zero = r.build();
        e = assertThrows(ModelException.class, () -> OnnxExporter.toBytes(zero, 13));
        assertTrue(e.getMessage().contains("allowzero needs opset 14"), e.getMessage());
        OnnxExporter.toBytes(zero, 14);

        var a = new GraphBuilder("allowzero-without-zero", 3);
        String z = a.input("z", Shapes.BATCH, 2, 3);
        a.output(a.node(new Op.Reshape(List.of(-1L, 6L), true), z));
        Graph noZero = a.build();
        OrtCheck.checkExport("allowzero-without-zero", noZero, 13, 1, 2); // attribute dropped, same meaning

        assertThrows(ModelException.class, () -> OnnxExporter.toBytes(noZero, 8));
        assertThrows(ModelException.class, () -> OnnxExporter.toBytes(noZero, 22));
    }

    @Test
    void irVersionFollowsTheOpset() {
        long[] expected = {4, 5, 6, 7, 7, 7, 8, 8, 8, 8, 9, 9, 10};
        for (int opset = 9; opset <= 21; opset++) {
            ModelProto m = model(OnnxExporter.toBytes(everyOp(opset), opset));
            assertEquals(expected[opset - 9], m.getIrVersion(), "ir_version for opset " + opset);
            assertEquals(1, m.getOpsetImportCount());
            assertEquals("", m.getOpsetImport(0).getDomain());
            assertEquals(opset, m.getOpsetImport(0).getVersion());
        }
    }

    @Test
    void symbolicBatchIsWrittenAsDimParam() {
        ModelProto m = model(OnnxExporter.toBytes(everyOp(13), 13));
        var in = m.getGraph().getInput(0).getType().getTensorType().getShape();
        assertEquals("N", in.getDim(0).getDimParam());
        assertEquals(3, in.getDim(1).getDimValue());
        var out = m.getGraph().getOutput(0).getType().getTensorType().getShape();
        assertEquals("N", out.getDim(0).getDimParam());
    }

    @Test
    void writeIsAtomicAndNeverOverwritesTheInput(@TempDir Path dir) throws IOException {
        Path in = dir.resolve("in.onnx");
        Files.write(in, OnnxExporter.toBytes(everyOp(17), 17));
        Graph g = OnnxImporter.load(in);
        Path out = dir.resolve("out.onnx");
        OnnxExporter.write(OnnxImporter.load(in), out, OnnxImporter.opsetOf(in), in);
        assertEquals(g, OnnxImporter.load(out));
        assertEquals(17, OnnxImporter.opsetOf(out));
        assertArrayEquals(Files.readAllBytes(in), Files.readAllBytes(out));

        byte[] before = Files.readAllBytes(in);
        var e = assertThrows(ModelException.class, () -> OnnxExporter.write(g, dir.resolve("./in.onnx"), 17, in));
        assertTrue(e.getMessage().contains("refusing to overwrite"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(in));

        Graph bad = everyOp(13); // ceil_mode: fails for opset 9 before anything is written
        assertThrows(ModelException.class, () -> OnnxExporter.write(bad, dir.resolve("bad.onnx"), 9));
        assertFalse(Files.exists(dir.resolve("bad.onnx")));
        try (var files = Files.list(dir)) {
            assertEquals(List.of("in.onnx", "out.onnx"), files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files are left behind");
        }
    }

    static ModelProto model(byte[] bytes) {
        try {
            return ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }
}
