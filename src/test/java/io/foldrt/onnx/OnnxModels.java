package io.foldrt.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds ONNX models in test code with the protobuf builders, independently of the exporter, so that the
 * importer and ONNX Runtime read the very same bytes. Weights are seeded random; BatchNorm statistics are
 * clearly non-trivial.
 *
 * <pre>
 * var m = new OnnxModels("tiny", 13, 1);
 * String x = m.input("x", "N", 3, 8, 8);
 * m.output(m.relu(m.bn(m.conv(x, 3, 4, 3, 1, 1))));
 * byte[] bytes = m.bytes();
 * </pre>
 */
final class OnnxModels {
    final GraphProto.Builder graph = GraphProto.newBuilder();
    final int opset;
    final SplittableRandom rng;
    private boolean rawData = true;
    private int counter;

    OnnxModels(String name, int opset, long seed) {
        graph.setName(name);
        this.opset = opset;
        this.rng = new SplittableRandom(seed);
    }

    /** Later initializers use typed float_data (true: raw_data, the default). */
    OnnxModels rawData(boolean raw) {
        this.rawData = raw;
        return this;
    }

    // ---- attributes ----

    static AttributeProto ai(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    static AttributeProto af(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto as(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto ais(String name, long... v) {
        var b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    static AttributeProto afs(String name, float... v) {
        var b = AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS);
        for (float x : v) b.addFloats(x);
        return b.build();
    }

    static AttributeProto at(String name, TensorProto t) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.TENSOR).setT(t).build();
    }

    // ---- tensors ----

    static TensorProto floatTensor(String name, Tensor t, boolean raw) {
        var b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        for (int d : t.shape()) b.addDims(d);
        if (raw) {
            ByteBuffer bb = ByteBuffer.allocate(t.size() * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : t.data()) bb.putFloat(f);
            b.setRawData(ByteString.copyFrom(bb.array()));
        } else {
            for (float f : t.data()) b.addFloatData(f);
        }
        return b.build();
    }

    static TensorProto int64Tensor(String name, boolean raw, long... v) {
        var b = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE).addDims(v.length);
        if (raw) {
            ByteBuffer bb = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long x : v) bb.putLong(x);
            b.setRawData(ByteString.copyFrom(bb.array()));
        } else {
            for (long x : v) b.addInt64Data(x);
        }
        return b.build();
    }

    /** Uniform in [lo, hi). */
    Tensor uniform(float lo, float hi, int... shape) {
        return Tensor.random(rng, lo, hi, shape);
    }

    // ---- graph ----

    /** A float input; a dim is an Integer (value), a String (dim_param) or null (unknown). */
    String input(String name, Object... dims) {
        graph.addInput(valueInfo(name, dims));
        return name;
    }

    void output(String name, Object... dims) {
        graph.addOutput(dims.length == 0 ? ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE))).build()
                : valueInfo(name, dims));
    }

    static ValueInfoProto valueInfo(String name, Object... dims) {
        var s = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            var dim = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof Integer i) dim.setDimValue(i);
            else if (d instanceof String p) dim.setDimParam(p);
            s.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s))).build();
    }

    String init(String name, Tensor t) {
        graph.addInitializer(floatTensor(name, t, rawData));
        return name;
    }

    String initInt64(String name, long... v) {
        graph.addInitializer(int64Tensor(name, rawData, v));
        return name;
    }

    String fresh(String prefix) {
        return prefix + (++counter);
    }

    /** Adds a node with one output named after it; returns the output. */
    String node(String opType, List<String> inputs, AttributeProto... attrs) {
        String name = fresh(opType.toLowerCase());
        graph.addNode(nodeProto(opType, name, inputs, List.of(name + "_out"), attrs));
        return name + "_out";
    }

    String node(String opType, String input, AttributeProto... attrs) {
        return node(opType, List.of(input), attrs);
    }

    static NodeProto nodeProto(String opType, String name, List<String> in, List<String> out, AttributeProto... attrs) {
        var b = NodeProto.newBuilder().setOpType(opType).setName(name).addAllInput(in).addAllOutput(out);
        for (AttributeProto a : attrs) b.addAttribute(a);
        return b.build();
    }

    // ---- layers ----

    /** Conv with He-scaled weights [outC, inC/group, k, k] and a bias. */
    String conv(String x, int inC, int outC, int k, AttributeProto... attrs) {
        return conv(x, inC, outC, k, 1, true, attrs);
    }

    String conv(String x, int inC, int outC, int k, int group, boolean bias, AttributeProto... attrs) {
        String p = fresh("conv");
        List<String> in = new ArrayList<>(List.of(x, init(p + ".weight", gaussian(Math.sqrt(2.0 / (inC / group * k * k)), outC, inC / group, k, k))));
        if (bias) in.add(init(p + ".bias", uniform(-0.1f, 0.1f, outC)));
        List<AttributeProto> a = new ArrayList<>(List.of(attrs));
        if (group != 1) a.add(ai("group", group));
        return node("Conv", in, a.toArray(AttributeProto[]::new));
    }

    /** BatchNormalization with non-identity statistics as initializers. */
    String bn(String x, int c, AttributeProto... attrs) {
        String p = fresh("bn");
        Tensor[] s = bnStats(c);
        return node("BatchNormalization", List.of(x, init(p + ".weight", s[0]), init(p + ".bias", s[1]),
                init(p + ".running_mean", s[2]), init(p + ".running_var", s[3])), attrs);
    }

    /** gamma (sign-mixed, |gamma| in [0.5, 1.5)), beta, mean, var in [0.5, 1.5). */
    Tensor[] bnStats(int c) {
        float[] gamma = new float[c], beta = new float[c], mean = new float[c], var = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = (float) (0.5 + rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1);
            beta[i] = (float) (rng.nextDouble() - 0.5);
            mean[i] = (float) (rng.nextDouble() - 0.5) * 0.4f;
            var[i] = (float) (0.5 + rng.nextDouble());
        }
        int[] sh = {c};
        return new Tensor[] {new Tensor(sh, gamma), new Tensor(sh, beta), new Tensor(sh, mean), new Tensor(sh, var)};
    }

    String relu(String x) {
        return node("Relu", x);
    }

    Tensor gaussian(double std, int... shape) {
        float[] d = new float[Math.toIntExact(Shapes.elementCount(shape))];
        for (int i = 0; i < d.length; i++) {
            double u = rng.nextDouble(), v = rng.nextDouble();
            d[i] = (float) (Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v) * std);
        }
        return new Tensor(shape, d);
    }

    ModelProto model() {
        return ModelProto.newBuilder().setIrVersion(irVersion(opset)).setProducerName("foldrt-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build();
    }

    byte[] bytes() {
        return model().toByteArray();
    }

    /** IR version of the ONNX release that introduced each opset (written out here, not taken from main code). */
    static long irVersion(int opset) {
        return switch (opset) {
            case 9 -> 4;
            case 10 -> 5;
            case 11 -> 6;
            case 12, 13, 14 -> 7;
            case 15, 16, 17, 18 -> 8;
            case 19, 20 -> 9;
            default -> 10;
        };
    }
}
