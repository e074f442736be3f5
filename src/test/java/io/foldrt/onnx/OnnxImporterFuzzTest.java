package io.foldrt.onnx;

import static io.foldrt.onnx.OnnxModels.af;
import static io.foldrt.onnx.OnnxModels.ai;
import static io.foldrt.onnx.OnnxModels.ais;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded mutations of valid models, at the byte level and through the protobuf builders. Whatever the
 * importer makes of one, it must either succeed or throw {@link OnnxFormatException} (one line, never through
 * the last-resort handler); and what it accepts must export and re-import to an equal graph.
 */
class OnnxImporterFuzzTest {
    private static final int BYTE_MUTATIONS = 4000;
    private static final int STRUCTURAL_MUTATIONS = 3000;
    /** Bound on the test thread's CPU time (wall time depends on what else the shared machine runs). */
    private static final long TIME_LIMIT_MS = 20_000;

    private int accepted, refused;

    /** Small weights keep most bytes structural; every op of the table appears. */
    static ModelProto seedModel(int opset) {
        var m = new OnnxModels("fuzz", opset, 5);
        String x = m.input("x", "N", 2, 6, 6);
        String c = m.relu(m.bn(m.conv(x, 2, 3, 3, ais("pads", 1, 1, 1, 1)), 3));
        m.rawData(false);
        String d = m.node("ConvTranspose", List.of(c, m.init("dw", m.gaussian(0.3, 3, 2, 2, 2))), ais("strides", 2, 2));
        String p = m.node("MaxPool", d, ais("kernel_shape", 2, 2), ais("strides", 2, 2));
        String a = m.node("AveragePool", d, ais("kernel_shape", 3, 3), ais("strides", 2, 2), ais("pads", 1, 1, 0, 0));
        String cat = m.node("Concat", List.of(p, a), ai("axis", 1));
        String s = m.node("Sigmoid", m.node("GlobalAveragePool", cat));
        String y = m.node("Mul", List.of(cat, s));
        m.rawData(true);
        String f = m.node("Flatten", y);
        String g = m.node("Gemm", List.of(f, m.init("gw", m.gaussian(0.2, 4, 144)), m.init("gb", m.uniform(-1, 1, 4))), ai("transB", 1));
        String mm = m.node("MatMul", List.of(g, m.init("mw", m.gaussian(0.3, 4, 4))));
        String sum = m.node("Add", List.of(mm, m.node("Identity", m.init("ab", m.uniform(-1, 1, 4)))));
        String clip = opset < 11 ? m.node("Clip", sum, af("min", 0f), af("max", 6f))
                : m.node("Clip", List.of(sum, m.init("lo", Tensor.scalar(0f)), m.init("hi", Tensor.scalar(6f))));
        String sm = m.node("Softmax", clip, ai("axis", 1));
        m.output(m.node("Reshape", List.of(sm, m.initInt64("shape", 0, 2, 2))));
        return m.model();
    }

    @Test
    void mutatedModelsImportOrFailCleanly() {
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long start = System.nanoTime(), cpuStart = threads.getCurrentThreadCpuTime();
        SplittableRandom rng = new SplittableRandom(Long.getLong("fuzz.seed", 2024));
        List<byte[]> seeds = new ArrayList<>();
        List<ModelProto> protos = new ArrayList<>();
        for (int opset : new int[] {9, 11, 13, 18}) {
            ModelProto p = seedModel(opset);
            protos.add(p);
            seeds.add(p.toByteArray());
            OnnxImporter.parse(p.toByteArray(), "seed"); // the seeds themselves are valid
        }
        for (int i = 0; i < BYTE_MUTATIONS; i++) {
            byte[] seed = seeds.get(rng.nextInt(seeds.size()));
            String[] how = new String[1];
            byte[] mutated = mutateBytes(seed, rng, how);
            attempt(mutated, "byte mutation " + i + " (" + how[0] + ")");
        }
        for (int i = 0; i < STRUCTURAL_MUTATIONS; i++) {
            ModelProto.Builder b = protos.get(rng.nextInt(protos.size())).toBuilder();
            String how = mutateStructure(b, rng);
            if (rng.nextInt(4) == 0) how += ", " + mutateStructure(b, rng);
            attempt(b.build().toByteArray(), "structural mutation " + i + " (" + how + ")");
        }
        long ms = (System.nanoTime() - start) / 1_000_000, cpuMs = (threads.getCurrentThreadCpuTime() - cpuStart) / 1_000_000;
        System.out.printf("fuzz: %d mutations, %d accepted, %d refused, %d ms wall, %d ms CPU%n",
                accepted + refused, accepted, refused, ms, cpuMs);
        assertTrue(cpuMs < TIME_LIMIT_MS, "took " + cpuMs + " ms of CPU; the bound is " + TIME_LIMIT_MS);
        assertTrue(accepted > 100 && refused > 1000, "the mutations exercise both outcomes: " + accepted + "/" + refused);
    }

    private void attempt(byte[] bytes, String what) {
        Graph g;
        try {
            g = OnnxImporter.parse(bytes, "fuzz");
        } catch (OnnxFormatException e) {
            String msg = e.getMessage();
            if (!msg.startsWith("fuzz: ") || msg.contains("\n") || msg.contains("FoldRT bug")) {
                throw new AssertionError(what + ": bad message: " + msg + where(e), e);
            }
            refused++;
            return;
        } catch (Throwable t) {
            throw new AssertionError(what + ": escaped " + t + where(t), t);
        }
        accepted++;
        int opset = OnnxImporter.opsetOf(bytes, "fuzz");
        try {
            Graph back = OnnxImporter.parse(OnnxExporter.toBytes(g, opset), "fuzz-export");
            if (!g.equals(back)) fail(what + ": export -> import changed the accepted graph: " + difference(g, back));
        } catch (ModelException e) {
            fail(what + ": accepted at opset " + opset + " but the export failed: " + e.getMessage(), e);
        }
    }

    private static String difference(Graph a, Graph b) {
        for (int i = 0; i < Math.min(a.nodes().size(), b.nodes().size()); i++) {
            if (!a.nodes().get(i).equals(b.nodes().get(i))) {
                return a.nodes().get(i) + " " + a.nodes().get(i).op() + " became " + b.nodes().get(i) + " " + b.nodes().get(i).op();
            }
        }
        return "inputs " + a.inputs() + " / " + b.inputs() + ", outputs " + a.outputs() + " / " + b.outputs()
                + ", nodes " + a.nodes().size() + " / " + b.nodes().size() + ", initializers equal: "
                + a.initializers().equals(b.initializers());
    }

    /** The innermost cause's first frames: surefire trims stack traces, and these say where to look. */
    private static String where(Throwable t) {
        while (t.getCause() != null) t = t.getCause();
        StackTraceElement[] st = t.getStackTrace();
        return " at " + Arrays.toString(Arrays.copyOf(st, Math.min(6, st.length)));
    }

    private static byte[] mutateBytes(byte[] seed, SplittableRandom rng, String[] how) {
        byte[] b = seed.clone();
        switch (rng.nextInt(6)) {
            case 0 -> {
                int flips = 1 + rng.nextInt(4);
                for (int k = 0; k < flips; k++) b[rng.nextInt(b.length)] ^= (byte) (1 << rng.nextInt(8));
                how[0] = flips + " bit flips";
            }
            case 1 -> {
                int len = rng.nextInt(b.length);
                b = Arrays.copyOf(b, len);
                how[0] = "truncated to " + len;
            }
            case 2 -> {
                int at = rng.nextInt(b.length + 1), n = 1 + rng.nextInt(8);
                byte[] r = new byte[b.length + n];
                System.arraycopy(b, 0, r, 0, at);
                for (int k = 0; k < n; k++) r[at + k] = (byte) rng.nextInt(256);
                System.arraycopy(b, at, r, at + n, b.length - at);
                b = r;
                how[0] = n + " bytes inserted at " + at;
            }
            case 3 -> {
                int at = rng.nextInt(b.length), n = Math.min(1 + rng.nextInt(16), b.length - at);
                byte[] r = new byte[b.length - n];
                System.arraycopy(b, 0, r, 0, at);
                System.arraycopy(b, at + n, r, at, b.length - at - n);
                b = r;
                how[0] = n + " bytes deleted at " + at;
            }
            case 4 -> {
                byte[] special = {0, (byte) 0xFF, 0x7F, (byte) 0x80, 0x01};
                int at = rng.nextInt(b.length);
                b[at] = special[rng.nextInt(special.length)];
                how[0] = "byte " + at + " set to " + b[at];
            }
            default -> {
                int at = rng.nextInt(b.length), n = Math.min(1 + rng.nextInt(32), b.length - at);
                int to = rng.nextInt(b.length - n + 1);
                System.arraycopy(seed, at, b, to, n);
                how[0] = n + " bytes copied from " + at + " to " + to;
            }
        }
        return b;
    }

    /** One edit through the builders: remove or change a field, keeping the protobuf well-formed. */
    private static String mutateStructure(ModelProto.Builder m, SplittableRandom rng) {
        GraphProto.Builder g = m.getGraphBuilder();
        int nodes = g.getNodeCount();
        NodeProto.Builder n = nodes > 0 ? g.getNodeBuilder(rng.nextInt(nodes)) : null;
        switch (rng.nextInt(16)) {
            case 0 -> {
                if (nodes > 0) g.removeNode(rng.nextInt(nodes));
                return "node removed";
            }
            case 1 -> {
                if (g.getInitializerCount() > 0) g.removeInitializer(rng.nextInt(g.getInitializerCount()));
                return "initializer removed";
            }
            case 2 -> {
                if (n != null && n.getAttributeCount() > 0) n.removeAttribute(rng.nextInt(n.getAttributeCount()));
                return "attribute removed";
            }
            case 3 -> {
                if (n != null && n.getInputCount() > 0) n.setInput(rng.nextInt(n.getInputCount()), someName(g, rng));
                return "input renamed";
            }
            case 4 -> {
                if (n != null) n.addInput(rng.nextBoolean() ? "" : someName(g, rng));
                return "input added";
            }
            case 5 -> {
                if (n != null) n.setOpType(pick(rng, OpTable.supported().toArray(String[]::new)));
                return "op type changed";
            }
            case 6 -> {
                if (n != null) n.addAttribute(randomAttribute(rng));
                return "attribute added";
            }
            case 7 -> {
                if (n != null && n.getAttributeCount() > 0) {
                    int k = rng.nextInt(n.getAttributeCount());
                    n.setAttribute(k, randomAttribute(rng).toBuilder().setName(n.getAttribute(k).getName()));
                }
                return "attribute value changed";
            }
            case 8 -> {
                if (g.getInitializerCount() > 0) {
                    int k = rng.nextInt(g.getInitializerCount());
                    TensorProto.Builder t = g.getInitializerBuilder(k);
                    if (t.getDimsCount() > 0) t.setDims(rng.nextInt(t.getDimsCount()), rng.nextLong(-2, 300));
                    else t.addDims(rng.nextInt(5));
                }
                return "initializer dims changed";
            }
            case 9 -> {
                if (g.getInitializerCount() > 0) g.getInitializerBuilder(rng.nextInt(g.getInitializerCount())).setDataType(rng.nextInt(20));
                return "initializer data type changed";
            }
            case 10 -> {
                m.getOpsetImportBuilder(0).setVersion(rng.nextInt(6, 24));
                return "opset changed";
            }
            case 11 -> {
                if (g.getInputCount() > 0) {
                    var shape = g.getInputBuilder(0).getTypeBuilder().getTensorTypeBuilder().getShapeBuilder();
                    if (shape.getDimCount() > 0) {
                        var d = shape.getDimBuilder(rng.nextInt(shape.getDimCount()));
                        if (rng.nextBoolean()) d.setDimValue(rng.nextLong(-1, 40)); else d.setDimParam("s");
                    } else {
                        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(3));
                    }
                }
                return "input dim changed";
            }
            case 12 -> {
                if (n != null && n.getOutputCount() > 0) n.setOutput(rng.nextInt(n.getOutputCount()), someName(g, rng));
                else if (n != null) n.addOutput("extra");
                return "output renamed";
            }
            case 13 -> {
                if (nodes > 1) {
                    NodeProto a = g.getNode(0);
                    int k = rng.nextInt(nodes);
                    g.setNode(0, g.getNode(k)).setNode(k, a);
                }
                return "nodes swapped";
            }
            case 14 -> {
                if (g.getOutputCount() > 0) g.getOutputBuilder(0).setName(someName(g, rng));
                return "graph output renamed";
            }
            default -> {
                if (n != null) n.setName(rng.nextBoolean() ? "" : g.getNode(0).getName());
                return "node name cleared or duplicated";
            }
        }
    }

    private static String someName(GraphProto.Builder g, SplittableRandom rng) {
        List<String> names = new ArrayList<>(List.of("", "nowhere"));
        for (NodeProto p : g.getNodeList()) names.addAll(p.getOutputList());
        for (TensorProto t : g.getInitializerList()) names.add(t.getName());
        for (var v : g.getInputList()) names.add(v.getName());
        return names.get(rng.nextInt(names.size()));
    }

    private static AttributeProto randomAttribute(SplittableRandom rng) {
        String name = pick(rng, "axis", "group", "pads", "strides", "kernel_shape", "dilations", "auto_pad", "epsilon",
                "ceil_mode", "count_include_pad", "transA", "transB", "alpha", "output_padding", "output_shape",
                "allowzero", "min", "max", "training_mode", "value", "value_ints", "bogus");
        return switch (rng.nextInt(5)) {
            case 0 -> ai(name, rng.nextLong(-3, 5) * (rng.nextInt(10) == 0 ? 1L << 40 : 1));
            case 1 -> af(name, pick(rng, 0f, -1f, 1e-5f, Float.NaN, Float.POSITIVE_INFINITY, 3.5f));
            case 2 -> {
                long[] v = new long[rng.nextInt(6)];
                for (int i = 0; i < v.length; i++) v[i] = rng.nextLong(-2, 6);
                yield ais(name, v);
            }
            case 3 -> OnnxModels.as(name, pick(rng, "SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "", "x\ny"));
            default -> OnnxModels.at(name, OnnxModels.floatTensor("", Tensor.scalar(2f), true));
        };
    }

    @SafeVarargs
    private static <T> T pick(SplittableRandom rng, T... options) {
        return options[rng.nextInt(options.length)];
    }
}
