package io.foldrt.onnx;

import static io.foldrt.onnx.OnnxModels.af;
import static io.foldrt.onnx.OnnxModels.ai;
import static io.foldrt.onnx.OnnxModels.ais;
import static io.foldrt.onnx.OnnxModels.as;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.foldrt.ir.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Everything wrong with an input file ends in an {@link OnnxFormatException} with one line that names the
 * file and the node, tensor or field, and says what was expected.
 */
class OnnxImporterErrorsTest {
    private static final String SRC = "bad.onnx";

    /** Asserts the import fails with a one-line message naming the source and containing each fragment. */
    static OnnxFormatException expectError(byte[] bytes, String... fragments) {
        var e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.parse(bytes, SRC));
        checkMessage(e, SRC, fragments);
        return e;
    }

    static void checkMessage(OnnxFormatException e, String src, String... fragments) {
        String msg = e.getMessage();
        assertTrue(msg.startsWith(src + ": "), "names the file: " + msg);
        assertFalse(msg.contains("\n") || msg.contains("\r"), "one line: " + msg);
        assertFalse(msg.contains("FoldRT bug"), "reached the last-resort handler: " + msg);
        for (String f : fragments) assertTrue(msg.contains(f), "'" + f + "' in: " + msg);
    }

    /** A small valid model: conv-bn-relu, a pool, a reshape with an int64 shape. */
    static OnnxModels valid(int opset) {
        var m = new OnnxModels("valid", opset, 1);
        String x = m.input("x", "N", 3, 8, 8);
        x = m.relu(m.bn(m.conv(x, 3, 4, 3, ais("pads", 1, 1, 1, 1)), 4));
        x = m.node("MaxPool", x, ais("kernel_shape", 2, 2), ais("strides", 2, 2));
        m.output(m.node("Reshape", List.of(x, m.initInt64("shape", 0, -1))));
        return m;
    }

    /** The valid model with one change made to its protobuf. */
    static byte[] edited(Consumer<ModelProto.Builder> edit) {
        ModelProto.Builder b = valid(13).model().toBuilder();
        edit.accept(b);
        return b.build().toByteArray();
    }

    @Test
    void theBaseModelIsValid() {
        OrtCheck.check("valid", valid(13).bytes(), 1, 2);
    }

    // ---- not a model ----

    @Test
    void notAFile(@TempDir Path dir) throws IOException {
        var e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.load(dir));
        checkMessage(e, dir.toString(), "is a directory");
        Path missing = dir.resolve("missing.onnx");
        e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.load(missing));
        checkMessage(e, missing.toString(), "no such file");
        Path empty = Files.createFile(dir.resolve("empty.onnx"));
        e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.load(empty));
        checkMessage(e, empty.toString(), "is empty");
        e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.opsetOf(missing));
        checkMessage(e, missing.toString(), "no such file");
    }

    @Test
    void truncatedFile() {
        byte[] full = valid(13).bytes();
        expectError(Arrays.copyOf(full, full.length / 2), "truncated");
        expectError(Arrays.copyOf(full, full.length - 1), "truncated");
    }

    @Test
    void randomBytes() {
        SplittableRandom rng = new SplittableRandom(42);
        for (int i = 0; i < 200; i++) {
            byte[] b = new byte[1 + rng.nextInt(4096)];
            for (int k = 0; k < b.length; k++) b[k] = (byte) rng.nextInt(256);
            expectError(b);
        }
        expectError("hello, this is a text file\n".getBytes(), "not");
    }

    @Test
    void validProtobufThatIsNotAModel() {
        expectError(OperatorSetIdProto.newBuilder().setDomain("ai.onnx").setVersion(13).build().toByteArray(), "no graph");
        expectError(ModelProto.newBuilder().setIrVersion(8).setProducerName("x").build().toByteArray(), "no graph");
        expectError(OnnxModels.floatTensor("t", Tensor.scalar(1f), true).toByteArray(), "is not");
        expectError(valid(13).model().getGraph().toByteArray(), "is not"); // a bare GraphProto
        expectError(edited(ModelProto.Builder::clearIrVersion), "ir_version is missing");
    }

    // ---- versions ----

    @Test
    void opsetOutsideTheSupportedRange() {
        expectError(edited(b -> b.setOpsetImport(0, OperatorSetIdProto.newBuilder().setDomain("").setVersion(8))),
                "opset 8 is not supported", "9 to 21");
        expectError(edited(b -> b.setOpsetImport(0, OperatorSetIdProto.newBuilder().setDomain("").setVersion(22))),
                "opset 22 is not supported");
        expectError(edited(b -> b.clearOpsetImport().addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(3))),
                "no entry for the default ONNX domain");
        var e = assertThrows(OnnxFormatException.class, () -> OnnxImporter.opsetOf(
                edited(b -> b.setOpsetImport(0, OperatorSetIdProto.newBuilder().setVersion(30))), SRC));
        checkMessage(e, SRC, "opset 30");
    }

    // ---- graph structure ----

    @Test
    void missingGraphInputOrInitializer() {
        expectError(edited(b -> b.getGraphBuilder().removeInput(0)), "node 'conv2' (Conv) reads 'x'",
                "not a graph input, an initializer or any node's output");
        expectError(edited(b -> b.getGraphBuilder().removeInitializer(0)), "reads 'conv1.weight'");
        expectError(edited(b -> b.getGraphBuilder().getOutputBuilder(0).setName("nowhere")),
                "graph output 'nowhere' is not produced");
    }

    @Test
    void cyclesAndDoubleDefinitions() {
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).setInput(0, "relu5_out")), "cycle");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(2).setOutput(0, "conv2_out")),
                "'conv2_out' is written by both");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).setOutput(0, "x")), "already a graph input");
    }

    @Test
    void unsupportedOps() {
        var e = expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(2).setOpType("LeakyRelu")),
                "node 'relu5' (LeakyRelu)", "op 'LeakyRelu' of domain 'ai.onnx' (opset 13) is not supported",
                "AveragePool, BatchNormalization, Clip, Concat, Constant, Conv");
        assertTrue(e.getMessage().contains("Softmax"), e.getMessage());
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).setDomain("com.microsoft").setOpType("FusedConv")),
                "node 'conv2' (FusedConv)", "domain 'com.microsoft'");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(2).setName("").setOpType("Dropout")),
                "node 'Dropout_2' (Dropout)");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(3).addOutput("indices")),
                "node 'maxpool6' (MaxPool): the Indices output is not supported");
    }

    @Test
    void unsupportedAttributeValues() {
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).addAttribute(as("auto_pad", "SAME_FOO"))),
                "node 'conv2' (Conv): attribute 'auto_pad' is 'SAME_FOO'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).addAttribute(ais("strides", 1, 1, 1))),
                "attribute 'strides' is [1, 1, 1]; expected 2 values");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).addAttribute(af("group", 1f))),
                "attribute 'group' has type FLOAT; expected INT");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).addAttribute(ai("group", 0))),
                "attribute 'group' is 0; expected 1 to");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).addAttribute(ai("dilation", 2))),
                "unknown attribute 'dilation'", "dilations");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(0).addAttribute(ais("kernel_shape", 5, 5))),
                "kernel_shape 5x5 does not match the weight's spatial dims 3x3");
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(3).addAttribute(ai("ceil_mode", 2))),
                "attribute 'ceil_mode' is 2; expected 0 to 1");
        byte[] ceilAt9 = valid(9).model().toBuilder().setGraph(valid(9).model().getGraph().toBuilder()
                .setNode(3, valid(9).model().getGraph().getNode(3).toBuilder().addAttribute(ai("ceil_mode", 1)))).build().toByteArray();
        expectError(ceilAt9, "unknown attribute 'ceil_mode' (MaxPool has it from opset 10; this model is opset 9)");
    }

    @Test
    void threeDimensionalConvolution() {
        var m = new OnnxModels("conv3d", 13, 1);
        String x = m.input("x", 1, 2, 4, 4, 4);
        m.output(m.node("Conv", List.of(x, m.init("w", m.gaussian(0.1, 3, 2, 3, 3, 3)))));
        expectError(m.bytes(), "node 'conv1' (Conv): input 0 (X) is [1, 2, 4, 4, 4]; FoldRT supports 4-D X only");
    }

    @Test
    void batchNormInTrainingMode() {
        var m = new OnnxModels("train", 15, 1);
        String x = m.input("x", 1, 3, 4, 4);
        m.output(m.bn(x, 3, ai("training_mode", 1)));
        expectError(m.bytes(), "node 'batchnormalization2' (BatchNormalization): training_mode=1", "eval mode");
        // Extra outputs: training mode before opset 14 (ONNX Runtime then uses batch statistics), invalid after.
        for (int opset : new int[] {9, 13, 14, 21}) {
            var t = new OnnxModels("stats", opset, 1);
            String y = t.input("y", 1, 3, 4, 4);
            Tensor[] s = t.bnStats(3);
            t.graph.addNode(OnnxModels.nodeProto("BatchNormalization", "bn", List.of(y, t.init("g", s[0]), t.init("b", s[1]),
                    t.init("m", s[2]), t.init("v", s[3])), List.of("out", "", "running_var")));
            t.output("out");
            expectError(t.bytes(), "node 'bn' (BatchNormalization) names output 2 ('running_var')",
                    opset < 14 ? "more than one output is training mode" : "only with training_mode=1", "eval mode");
        }
    }

    // ---- tensors ----

    @Test
    void externalDataIsRefused() {
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder().clearRawData()
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin")))),
                "initializer 'conv1.weight' keeps its data in an external file ('weights.bin')");
    }

    @Test
    void unsupportedDataTypesNameTheTensor() {
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, TensorProto.newBuilder().setName("conv1.weight")
                        .setDataType(TensorProto.DataType.DOUBLE_VALUE).addAllDims(List.of(4L, 3L, 3L, 3L))
                        .setRawData(ByteString.copyFrom(new byte[4 * 27 * 8])))),
                "'conv1.weight' has data type DOUBLE; FoldRT computes in FLOAT only");
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder().setDataType(77))),
                "'conv1.weight' has data type unknown data type 77");
        // An int64 tensor where float data is read.
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(2).setOpType("Add").addInput("shape")),
                "node 'relu5' (Add): input 1 'shape' has data type INT64");
        // A float tensor where a shape is read.
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(4).setInput(1, "conv1.bias")),
                "node 'reshape7' (Reshape): input 1 (shape) 'conv1.bias' is not a constant INT64 tensor");
        ValueInfoProto intInput = ValueInfoProto.newBuilder().setName("x").setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.INT64_VALUE))).build();
        expectError(edited(b -> b.getGraphBuilder().setInput(0, intInput)), "graph input 'x' has element type INT64");
    }

    @Test
    void tensorDataOfTheWrongSize() {
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder()
                        .setRawData(ByteString.copyFrom(new byte[10])))),
                "initializer 'conv1.weight' has 10 bytes of raw_data; its dims need 432 (108 values of 4 bytes)");
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder()
                        .clearRawData().addFloatData(1f))),
                "initializer 'conv1.weight' has 1 values in float_data; its dims need 108");
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder().setDims(0, -4))),
                "initializer 'conv1.weight' has negative dimension -4");
        expectError(edited(b -> b.getGraphBuilder().setInitializer(0, b.getGraph().getInitializer(0).toBuilder()
                        .clearDims().addAllDims(List.of(1L << 20, 1L << 20, 1L << 20)))),
                "initializer 'conv1.weight' dims [1048576, 1048576, 1048576] are too large");
    }

    // ---- shapes ----

    @Test
    void shapesThatCannotBeInferred() {
        expectError(edited(b -> b.getGraphBuilder().setInput(0, OnnxModels.valueInfo("x", "N", 5, 8, 8))),
                "node 'conv2' (Conv): X has 5 channels");
        expectError(edited(b -> b.getGraphBuilder().setInitializer(b.getGraph().getInitializerCount() - 1,
                        OnnxModels.int64Tensor("shape", true, 0, 7, -1))),
                "node 'reshape7' (Reshape): cannot reshape [1, 4, 4, 4] to [0, 7, -1]");
        expectError(edited(b -> b.getGraphBuilder().setOutput(0, OnnxModels.valueInfo("reshape7_out", "N", 65))),
                "graph output 'reshape7_out' is declared [?,65] but the graph computes [N,64]");
        expectError(edited(b -> b.getGraphBuilder().setInput(0, OnnxModels.valueInfo("x", "N", "C", 8, 8))),
                "graph input 'x' has a symbolic or unknown dim 1 ('C'); only the batch dim (axis 0) may be symbolic");
        ValueInfoProto noShape = ValueInfoProto.newBuilder().setName("x").setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))).build();
        expectError(edited(b -> b.getGraphBuilder().setInput(0, noShape)), "graph input 'x' has no shape");
    }

    @Test
    void constantsThatMustBeConstantAreNot() {
        var m = new OnnxModels("clip-bound", 13, 1);
        String x = m.input("x", 1, 4);
        String lo = m.input("lo");
        m.output(m.node("Clip", List.of(x, lo)));
        expectError(m.bytes(), "node 'clip1' (Clip): input 1 (min) 'lo' must be a constant");
        var c = new OnnxModels("constant-string", 13, 1);
        c.graph.addNode(OnnxModels.nodeProto("Constant", "k", List.of(), List.of("s"), as("value_string", "hi")));
        c.output("s");
        expectError(c.bytes(), "node 'k' (Constant): string and sparse constants are not supported");
    }

    @Test
    void hostileNamesStayOnOneLine() {
        expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(2).setName("evil\nname\u2028x").setOpType("Nope")),
                "node 'evil\\u000aname\\u2028x' (Nope)");
        String longName = "n".repeat(10_000);
        var e = expectError(edited(b -> b.getGraphBuilder().getNodeBuilder(2).setName(longName).setOpType("Nope")));
        assertTrue(e.getMessage().length() < 1000, "long names are shortened");
    }

    @Test
    void theImporterFailsOnlyWithOnnxFormatException() {
        // The class hierarchy promised to the CLI: an OnnxFormatException is a ModelException.
        assertEquals(io.foldrt.ir.ModelException.class, OnnxFormatException.class.getSuperclass());
    }
}
