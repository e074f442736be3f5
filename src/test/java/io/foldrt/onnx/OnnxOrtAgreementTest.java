package io.foldrt.onnx;

import static io.foldrt.onnx.OnnxModels.af;
import static io.foldrt.onnx.OnnxModels.afs;
import static io.foldrt.onnx.OnnxModels.ai;
import static io.foldrt.onnx.OnnxModels.ais;
import static io.foldrt.onnx.OnnxModels.as;
import static io.foldrt.onnx.OnnxModels.at;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Models built with protobuf builders, checked against ONNX Runtime by {@link OrtCheck}: our import (run by
 * the float64 reference interpreter) and ORT on our export must both match ORT on the original, within
 * rel-L2 1e-5 and 1e-4·max|ref| + 1e-6 per element; ORT with all optimizations is compared as well.
 */
class OnnxOrtAgreementTest {

    @ParameterizedTest
    @ValueSource(ints = {9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21})
    void convBnReluStackAtEveryOpset(int opset) {
        var m = new OnnxModels("stack", opset, opset);
        String x = m.input("x", "N", 3, 12, 12);
        x = m.relu(m.bn(m.conv(x, 3, 8, 3, ais("pads", 1, 1, 1, 1)), 8));
        x = m.relu(m.bn(m.conv(x, 8, 16, 3, ais("strides", 2, 2), ais("pads", 1, 1, 1, 1)), 16));
        x = m.relu(m.bn(m.conv(x, 16, 16, 1, 1, false), 16, af("epsilon", 1e-3f)));
        m.output(x);
        OrtCheck.check("stack-opset" + opset, m.bytes(), 1, 3);
    }

    @Test
    void residualBlockWithDownsample() {
        var m = new OnnxModels("resnet-block", 17, 2);
        String x = m.input("x", "N", 8, 10, 10);
        String a = m.relu(m.bn(m.conv(x, 8, 16, 3, 1, false, ais("strides", 2, 2), ais("pads", 1, 1, 1, 1)), 16));
        a = m.bn(m.conv(a, 16, 16, 3, 1, false, ais("pads", 1, 1, 1, 1)), 16);
        String shortcut = m.bn(m.conv(x, 8, 16, 1, 1, false, ais("strides", 2, 2)), 16);
        m.output(m.relu(m.node("Add", List.of(a, shortcut))));
        OrtCheck.check("resnet-block", m.bytes(), 1, 2);
    }

    @Test
    void depthwiseWithAsymmetricPadsAndDilation() {
        var m = new OnnxModels("depthwise", 12, 3);
        String x = m.input("x", "N", 8, 11, 13);
        x = m.bn(m.conv(x, 8, 8, 3, 8, false, ais("strides", 2, 1), ais("pads", 0, 1, 2, 1), ais("dilations", 2, 1)), 8);
        x = m.node("Clip", List.of(x, m.init("six_lo", Tensor.scalar(0f)), m.init("six_hi", Tensor.scalar(6f))));
        m.output(m.relu(m.bn(m.conv(x, 8, 12, 1), 12)));
        Graph g = OrtCheck.check("depthwise", m.bytes(), 1, 2);
        Op.Conv dw = (Op.Conv) g.nodes().get(0).op();
        assertEquals(new Op.Conv(new Hw(2, 1), new Pads(0, 1, 2, 1), new Hw(2, 1), 8, Activation.NONE), dw);
    }

    @ParameterizedTest
    @ValueSource(ints = {11, 18})
    void convTransposeWithGroupsAndBn(int opset) {
        var m = new OnnxModels("deconv", opset, 4);
        String x = m.input("x", "N", 4, 5, 6);
        // W is [C_in, C_out/group, kH, kW]: 4 inputs, 2 groups, 6 outputs.
        String w = m.init("deconv.weight", m.gaussian(0.4, 4, 3, 3, 3));
        String b = m.init("deconv.bias", m.uniform(-0.1f, 0.1f, 6));
        x = m.node("ConvTranspose", List.of(x, w, b), ai("group", 2), ais("strides", 2, 2), ais("pads", 1, 0, 1, 1),
                ais("output_padding", 1, 0), ais("dilations", 1, 2));
        m.output(m.relu(m.bn(x, 6)));
        OrtCheck.check("deconv-opset" + opset, m.bytes(), 1, 2);
    }

    /** output_shape and SAME_* with an odd total padding: where the odd element goes is ORT's choice. */
    @ParameterizedTest
    @ValueSource(strings = {"output_shape", "output_shape_nchw", "SAME_UPPER", "SAME_LOWER", "VALID"})
    void convTransposePaddingModes(String mode) {
        var m = new OnnxModels("deconv-" + mode, 13, 5);
        String x = m.input("x", 1, 3, 5, 5);
        String w = m.init("w", m.gaussian(0.4, 3, 2, 4, 3));
        var attrs = switch (mode) {
            case "output_shape" -> ais("output_shape", 8, 10);
            case "output_shape_nchw" -> ais("output_shape", 1, 2, 9, 9);
            default -> as("auto_pad", mode);
        };
        m.output(m.node("ConvTranspose", List.of(x, w), attrs, ais("strides", 2, 2)));
        OrtCheck.check("deconv-" + mode, m.bytes());
    }

    @Test
    void gemmWithBnAlphaBetaAndTransposes() {
        var m = new OnnxModels("gemm", 13, 6);
        String x = m.input("x", "N", 4, 3, 3);
        String f = m.node("Flatten", x);
        String fc = m.node("Gemm", List.of(f, m.init("fc.w", m.gaussian(0.2, 10, 36)), m.init("fc.b", m.uniform(-0.1f, 0.1f, 10))),
                ai("transB", 1));
        String h = m.relu(m.bn(fc, 10));
        String fc2 = m.node("Gemm", List.of(h, m.init("fc2.w", m.gaussian(0.3, 10, 7)), m.init("fc2.c", m.uniform(-1, 1, 1, 7))),
                af("alpha", 0.75f), af("beta", -1.5f));
        m.output(m.bn(fc2, 7));
        // transA: A is [K, M]; a static input keeps the batch off axis 1.
        String a = m.input("a", 5, 2);
        String g3 = m.node("Gemm", List.of(a, m.init("fc3.w", m.gaussian(0.3, 4, 5))), ai("transA", 1), ai("transB", 1));
        m.output(m.bn(g3, 4));
        OrtCheck.check("gemm", m.bytes(), 1, 4);
    }

    @Test
    void matMulWithBn() {
        var m = new OnnxModels("matmul", 14, 7);
        String x = m.input("x", "N", 16);
        String y = m.node("MatMul", List.of(x, m.init("w", m.gaussian(0.25, 16, 12))));
        y = m.node("Add", List.of(y, m.init("b", m.uniform(-0.1f, 0.1f, 12))));
        m.output(m.bn(y, 12));
        String s = m.input("seq", "N", 4, 16);   // [N, C=4, L=16]: BN over the 4 channels after a batched MatMul
        String z = m.node("MatMul", List.of(s, m.init("w2", m.gaussian(0.25, 16, 6))));
        m.output(m.bn(z, 4));
        OrtCheck.check("matmul", m.bytes(), 1, 3);
    }

    @Test
    void bnWithConstantNodeParametersAndAffineMulAdd() {
        var m = new OnnxModels("const-bn", 13, 8);
        String x = m.input("x", "N", 6, 7, 7);
        String c = m.conv(x, 6, 6, 3, ais("pads", 1, 1, 1, 1));
        Tensor[] s = m.bnStats(6);
        String[] p = new String[4];
        for (int i = 0; i < 4; i++) {
            p[i] = "bnparam" + i;
            m.graph.addNode(OnnxModels.nodeProto("Constant", "const" + i, List.of(), List.of(p[i]),
                    at("value", OnnxModels.floatTensor("", s[i], i % 2 == 0))));
        }
        String y = m.node("BatchNormalization", List.of(c, p[0], p[1], p[2], p[3]));
        // A converter's way of writing BN: Mul and Add by per-channel constants [C, 1, 1].
        String z = m.node("Mul", List.of(m.conv(y, 6, 6, 1), m.init("scale", m.uniform(0.5f, 1.5f, 6, 1, 1))));
        z = m.node("Add", List.of(z, m.init("shift", m.uniform(-0.5f, 0.5f, 6, 1, 1))));
        m.output(z);
        Graph g = OrtCheck.check("const-bn", m.bytes(), 1, 2);
        assertTrue(g.initializers().containsKey("bnparam0"), "Constant nodes become initializers");
    }

    @ParameterizedTest
    @ValueSource(ints = {9, 10, 11, 13})
    void clipAsRelu6InBothOpsetStyles(int opset) {
        var m = new OnnxModels("clip", opset, 9);
        String x = m.input("x", "N", 4, 6, 6);
        String c = m.conv(x, 4, 4, 3, ais("pads", 1, 1, 1, 1));
        String y, onlyMax, onlyMin;
        if (opset < 11) {
            y = m.node("Clip", c, af("min", 0f), af("max", 6f));
            onlyMax = m.node("Clip", c, af("max", 0.5f));
            onlyMin = m.node("Clip", c, af("min", -0.25f));
        } else {
            y = m.node("Clip", List.of(c, m.init("zero", Tensor.scalar(0f)), m.init("six", Tensor.scalar(6f))));
            onlyMax = m.node("Clip", List.of(c, "", m.init("half", Tensor.scalar(0.5f))));
            onlyMin = m.node("Clip", List.of(c, m.init("quarter", Tensor.scalar(-0.25f))));
        }
        m.output(y);
        m.output(onlyMax);
        m.output(onlyMin);
        Graph g = OrtCheck.check("clip-opset" + opset, m.bytes(), 1, 2);
        assertEquals(new Op.Clip(0f, 6f), g.producer(y).op());
        assertEquals(new Op.Clip(Float.NEGATIVE_INFINITY, 0.5f), g.producer(onlyMax).op());
        assertEquals(new Op.Clip(-0.25f, Float.POSITIVE_INFINITY), g.producer(onlyMin).op());
    }

    /**
     * Max and average pooling with ceil_mode, pads, dilations and both count_include_pad values. Not with
     * ceil_mode and count_include_pad=1 together: there ONNX Runtime divides a window that overhangs the
     * padded input by the full kernel size (its issue #16203), unlike PyTorch and the reference interpreter;
     * {@link #averagePoolCeilModeWithCountIncludePadFollowsPyTorch} covers that case.
     */
    @ParameterizedTest
    @ValueSource(ints = {10, 12, 19})
    void poolingWithCeilModePadsAndCountIncludePad(int opset) {
        var m = new OnnxModels("pools", opset, 10);
        String x = m.input("x", "N", 3, 9, 10);
        m.output(m.node("MaxPool", x, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 0, 1, 1), ai("ceil_mode", 1)));
        m.output(m.node("MaxPool", x, ais("kernel_shape", 2, 3), ais("strides", 2, 3), ai("ceil_mode", 1)));
        m.output(m.node("MaxPool", x, ais("kernel_shape", 2, 2), ais("dilations", 2, 2), ais("pads", 1, 1, 1, 1)));
        m.output(m.node("AveragePool", x, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1),
                ai("ceil_mode", 1)));
        m.output(m.node("AveragePool", x, ais("kernel_shape", 3, 2), ais("strides", 2, 3), ai("ceil_mode", 1)));
        for (int countPad = 0; countPad <= 1; countPad++) {
            m.output(m.node("AveragePool", x, ais("kernel_shape", 2, 4), ais("strides", 3, 2), ais("pads", 0, 2, 1, 0),
                    ai("count_include_pad", countPad)));
        }
        m.output(m.node("GlobalAveragePool", x));
        OrtCheck.check("pools-opset" + opset, m.bytes(), 1, 2);
    }

    /**
     * x = 1..16 as 4x4, kernel 3, stride 2, pads 1, ceil_mode, count_include_pad: a window divides by its
     * positions inside the padded 6x6 input. By hand: top-left 1+2+5+6 over 9; top-right (4+8) over 3x2;
     * bottom-right 16 over 2x2. (ONNX Runtime 1.20 divides overhanging windows by 9 instead.)
     */
    @Test
    void averagePoolCeilModeWithCountIncludePadFollowsPyTorch() {
        var m = new OnnxModels("avgpool-ceil", 19, 1);
        String x = m.input("x", 1, 1, 4, 4);
        m.output(m.node("AveragePool", x, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 1, 1),
                ai("ceil_mode", 1), ai("count_include_pad", 1)));
        Graph g = OnnxImporter.parse(m.bytes(), "avgpool-ceil");
        float[] in = new float[16];
        for (int i = 0; i < 16; i++) in[i] = i + 1;
        double[] y = ReferenceInterpreter.run(g, Map.of("x", new Tensor(new int[] {1, 1, 4, 4}, in)))
                .values().iterator().next().data();
        double[] expected = {14 / 9.0, (2 + 3 + 4 + 6 + 7 + 8) / 9.0, 12 / 6.0,
            (5 + 6 + 9 + 10 + 13 + 14) / 9.0, (6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16) / 9.0, (8 + 12 + 16) / 6.0,
            (13 + 14) / 6.0, (14 + 15 + 16) / 6.0, 16 / 4.0};
        assertArrayEquals(expected, y, 1e-12);
    }

    /**
     * A ceil_mode window that would start in the end padding is dropped (PyTorch, the current ONNX text, and
     * the IR's shape inference); ONNX Runtime 1.20 still computes it from padding alone. Everywhere else the
     * two agree, which is what this checks: ours is ORT's output without its last row and column.
     */
    @ParameterizedTest
    @ValueSource(strings = {"MaxPool", "AveragePool"})
    void ceilModeWindowStartingInEndPaddingIsDropped(String op) {
        var m = new OnnxModels("ceil-drop", 13, 20);
        String x = m.input("x", 1, 2, 6, 6);
        m.output(m.node(op, x, ais("kernel_shape", 2, 2), ais("strides", 2, 2), ais("pads", 0, 0, 1, 1), ai("ceil_mode", 1)));
        Graph g = OnnxImporter.parse(m.bytes(), "ceil-drop");
        Tensor in = Tensor.random(new SplittableRandom(3), -1, 1, 1, 2, 6, 6);
        double[] ours = ReferenceInterpreter.run(g, Map.of("x", in)).values().iterator().next().data();
        Tensor ort = Ort.run(m.bytes(), Map.of("x", in), OptLevel.NO_OPT)
                .values().iterator().next();
        assertArrayEquals(new int[] {1, 2, 4, 4}, ort.shape(), "ORT 1.20 keeps the padding-only window");
        assertArrayEquals(new int[] {1, 2, 3, 3}, g.outputs().get(0).shape());
        double[] ortInner = new double[18];
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) ortInner[(c * 3 + i) * 3 + j] = ort.data()[(c * 4 + i) * 4 + j];
        OrtCheck.assertClose("ceil-drop " + op, ortInner, ours);
    }

    @ParameterizedTest
    @ValueSource(strings = {"SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET"})
    void autoPadOnConvAndPools(String autoPad) {
        var m = new OnnxModels("autopad-" + autoPad, 11, 11);
        String x = m.input("x", "N", 3, 9, 8);
        m.output(m.conv(x, 3, 4, 4, as("auto_pad", autoPad), ais("strides", 2, 2)));
        m.output(m.conv(x, 3, 4, 3, as("auto_pad", autoPad), ais("strides", 3, 1)));
        m.output(m.node("MaxPool", x, as("auto_pad", autoPad), ais("kernel_shape", 3, 2), ais("strides", 2, 2)));
        m.output(m.node("AveragePool", x, as("auto_pad", autoPad), ais("kernel_shape", 3, 3), ais("strides", 2, 2)));
        m.output(m.node("AveragePool", x, as("auto_pad", autoPad), ais("kernel_shape", 2, 2), ais("strides", 2, 1),
                ai("count_include_pad", 1)));
        OrtCheck.check("autopad-" + autoPad, m.bytes(), 1, 2);
    }

    @ParameterizedTest
    @ValueSource(ints = {11, 13})
    void softmaxOldAndNewSemantics(int opset) {
        var m = new OnnxModels("softmax", opset, 12);
        String x = m.input("x", "N", 4, 3, 5);
        m.output(m.node("Softmax", x, ai("axis", 1)));
        m.output(m.node("Softmax", x, ai("axis", -2)));
        m.output(m.node("Softmax", x)); // default axis: 1 before opset 13, -1 from 13 on
        Graph g = OrtCheck.check("softmax-opset" + opset, m.bytes(), 1, 2);
        Op.Softmax first = (Op.Softmax) g.nodes().get(0).op();
        assertEquals(opset < 13, first.coerce2d());
        assertEquals(opset < 13 ? 1 : -1, ((Op.Softmax) g.nodes().get(2).op()).axis());
    }

    @Test
    void flattenReshapeConcat() {
        var m = new OnnxModels("shapes", 14, 13);
        String x = m.input("x", "N", 4, 3, 6);
        String y = m.input("y", "N", 2, 3, 6);
        String cat = m.node("Concat", List.of(x, y, x), ai("axis", 1));
        m.output(m.node("Flatten", cat));
        m.output(m.node("Flatten", cat, ai("axis", 2)));
        m.output(m.node("Reshape", List.of(cat, m.initInt64("s1", 0, -1))));
        m.output(m.node("Reshape", List.of(cat, m.initInt64("s2", 0, 5, 0, -1)), ai("allowzero", 0)));
        m.output(m.node("Concat", List.of(x, y), ai("axis", -3)));
        m.output(m.node("Concat", List.of(x, x), ai("axis", -1)));
        OrtCheck.check("shapes", m.bytes(), 1, 3);
    }

    @Test
    void identityChainsResolveToConstants() {
        var m = new OnnxModels("identity", 13, 14);
        String x = m.input("x", "N", 5, 6, 6);
        String c = m.conv(x, 5, 5, 3, ais("pads", 1, 1, 1, 1));
        Tensor[] s = m.bnStats(5);
        String[] p = new String[4];
        for (int i = 0; i < 4; i++) {
            // PyTorch's way: bn.running_mean -> Identity -> Identity -> BatchNormalization
            p[i] = m.node("Identity", m.node("Identity", m.init("stat" + i, s[i])));
        }
        String y = m.node("BatchNormalization", List.of(c, p[0], p[1], p[2], p[3]));
        String kept = m.node("Identity", m.relu(y)); // an Identity over an activation stays a node
        m.output(kept);
        m.output(m.node("Identity", m.init("exported_const", m.uniform(-1, 1, 3)))); // a graph output must stay
        Graph g = OrtCheck.check("identity", m.bytes(), 1, 2);
        Node bn = g.producer(y);
        assertEquals(List.of("stat0", "stat1", "stat2", "stat3"), bn.inputs().subList(1, 5));
        assertInstanceOf(Op.Identity.class, g.producer(kept).op());
    }

    @Test
    void constantNodesOfEveryForm() {
        var m = new OnnxModels("constants", 13, 15);
        String x = m.input("x", "N", 2, 3, 4);
        m.graph.addNode(OnnxModels.nodeProto("Constant", "k1", List.of(), List.of("scale"), af("value_float", 1.5f)));
        m.graph.addNode(OnnxModels.nodeProto("Constant", "k2", List.of(), List.of("shift"), afs("value_floats", 0.5f, -0.5f, 0.25f, 1f)));
        m.graph.addNode(OnnxModels.nodeProto("Constant", "k3", List.of(), List.of("shape"), ais("value_ints", 0, 6, 4)));
        m.graph.addNode(OnnxModels.nodeProto("Constant", "k4", List.of(), List.of("shape2"),
                at("value", OnnxModels.int64Tensor("", true, 0, -1, 2))));
        m.graph.addNode(OnnxModels.nodeProto("Constant", "k5", List.of(), List.of("lo"), af("value_float", -0.5f)));
        m.graph.addNode(OnnxModels.nodeProto("Constant", "k6", List.of(), List.of("unused"), ai("value_int", 7)));
        String y = m.node("Add", List.of(m.node("Mul", List.of(x, "scale")), "shift"));
        y = m.node("Clip", List.of(y, "lo"));
        m.output(m.node("Reshape", List.of(y, "shape")));
        m.output(m.node("Reshape", List.of(y, "shape2")));
        Graph g = OrtCheck.check("constants", m.bytes(), 1, 2);
        assertEquals(Tensor.scalar(1.5f), g.initializers().get("scale"));
        assertTrue(!g.initializers().containsKey("unused") && !g.initializers().containsKey("shape"),
                "int64 constants are folded into ops, unused constants dropped");
    }

    @Test
    void rawDataAndTypedInitializersImportIdentically() {
        byte[][] bytes = new byte[2][];
        for (int i = 0; i < 2; i++) {
            var m = new OnnxModels("init-forms", 13, 16).rawData(i == 0);
            String x = m.input("x", "N", 3, 5, 5);
            String y = m.relu(m.bn(m.conv(x, 3, 4, 3), 4));
            m.output(m.node("Reshape", List.of(y, m.initInt64("shape", 0, -1))));
            bytes[i] = m.bytes();
        }
        Graph raw = OrtCheck.check("raw_data", bytes[0], 1, 2);
        Graph typed = OrtCheck.check("typed", bytes[1], 1, 2);
        assertEquals(raw, typed);
    }

    @Test
    void symbolicAndUnknownBatchAndInputsThatAreInitializers() {
        var m = new OnnxModels("batch", 13, 17);
        String x = m.input("x", "batch_size", 3, 4, 4);
        String y = m.input("y", (Object) null, 3, 4, 4); // dim without value or param
        String w = m.init("w", m.gaussian(0.3, 2, 3, 1, 1));
        m.graph.addInput(OnnxModels.valueInfo(w, 2, 3, 1, 1)); // an input with an initializer is a constant
        m.output(m.node("Conv", List.of(m.node("Add", List.of(x, y)), w)), "batch_size", 2, 4, 4);
        Graph g = OrtCheck.check("batch", m.bytes(), 1, 5);
        assertEquals(2, g.inputs().size());
        assertArrayEquals(new int[] {Shapes.BATCH, 3, 4, 4}, g.input("y").shape());
        assertArrayEquals(new int[] {Shapes.BATCH, 2, 4, 4}, g.outputs().get(0).shape());
        assertTrue(g.initializers().containsKey("w"));
    }

    @Test
    void squeezeExciteWithSigmoidAndMul() {
        var m = new OnnxModels("se", 13, 18);
        String x = m.input("x", "N", 8, 5, 5);
        String s = m.node("GlobalAveragePool", x);
        s = m.node("Sigmoid", m.conv(m.relu(m.conv(s, 8, 4, 1)), 4, 8, 1));
        m.output(m.node("Mul", List.of(x, s)));
        OrtCheck.check("se", m.bytes(), 1, 2);
    }

    @Test
    void nodesOutOfOrderAreSorted() {
        var m = new OnnxModels("unsorted", 13, 19);
        String x = m.input("x", "N", 2, 4, 4);
        String a = m.relu(m.conv(x, 2, 3, 3));
        m.output(m.node("Sigmoid", a));
        var nodes = new ArrayList<>(m.graph.getNodeList());
        Collections.reverse(nodes);
        m.graph.clearNode().addAllNode(nodes);
        Graph g = OrtCheck.check("unsorted", m.bytes(), 1, 2);
        assertEquals(List.of("Conv", "Relu", "Sigmoid"), g.nodes().stream().map(n -> n.op().type()).toList());
    }
}
