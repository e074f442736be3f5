package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Converts one ONNX GraphProto to an IR {@link Graph}. Constants (initializers, Constant nodes and Identity
 * nodes that merely rename a constant) are resolved so that every weight the planner sees is an
 * initializer; shapes are inferred node by node at batch 1, which is also what auto_pad needs.
 * Errors are {@link ModelException}s without the file name; {@link OnnxImporter} adds it.
 */
final class GraphImporter implements NodeView.Values {
    private final GraphProto g;
    private final int opset;
    private final Constants constants = new Constants();
    private final Map<String, String> alias = new HashMap<>();   // Identity output -> the constant it renames
    private final Map<String, int[]> shapes = new HashMap<>();   // every known value at batch 1
    private final Set<String> graphOutputs = new HashSet<>();
    private final Set<String> graphInputs = new HashSet<>();
    private final Map<String, Tensor> used = new LinkedHashMap<>(); // the IR graph's initializers
    private final List<Node> nodes = new ArrayList<>();
    private final Names nodeNames = new Names();
    private boolean symbolicBatch;

    GraphImporter(GraphProto g, int opset) {
        this.g = g;
        this.opset = opset;
    }

    Graph convert() {
        for (TensorProto t : g.getInitializerList()) constants.addInitializer(t);
        if (g.getSparseInitializerCount() > 0) throw new ModelException("sparse initializers are not supported");
        List<ValueInfo> inputs = inputs();
        for (ValueInfoProto o : g.getOutputList()) graphOutputs.add(o.getName());

        Set<String> available = new HashSet<>(constants.initializerNames());
        available.addAll(graphInputs);
        int[] order = TopoSort.order(g.getNodeList(), available);
        for (int idx : order) node(g.getNode(idx), idx);

        String name = g.getName().isEmpty() ? "graph" : g.getName();
        List<ValueInfo> outs = outputs(name, inputs);
        Graph graph = new Graph(name, inputs, outs, nodes, used);
        ShapeInference.infer(graph, 1);
        return graph;
    }

    // ---- graph inputs and outputs ----

    private List<ValueInfo> inputs() {
        List<ValueInfo> list = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) {
            String name = v.getName();
            String what = "graph input " + q(name);
            if (name.isEmpty()) throw new ModelException("a graph input has no name");
            if (constants.isInitializer(name)) continue; // an overridable default: FoldRT treats it as a constant
            if (!graphInputs.add(name)) throw new ModelException(what + " is declared twice");
            TypeProto.Tensor tt = tensorType(v, what);
            if (!tt.hasShape()) throw new ModelException(what + " has no shape; FoldRT needs static dims (only the batch dim may be symbolic)");
            TensorShapeProto sp = tt.getShape();
            int[] shape = new int[sp.getDimCount()];
            for (int i = 0; i < shape.length; i++) {
                TensorShapeProto.Dimension d = sp.getDim(i);
                long val = d.hasDimValue() ? d.getDimValue() : 0;
                if (val < 0 || val > Integer.MAX_VALUE) throw new ModelException(what + " has dim " + i + " = " + val);
                if (val > 0) {
                    shape[i] = (int) val;
                } else if (i == 0) {
                    shape[i] = Shapes.BATCH;
                    symbolicBatch = true;
                } else {
                    throw new ModelException(what + " has a symbolic or unknown dim " + i
                            + (d.hasDimParam() ? " (" + q(d.getDimParam()) + ")" : "")
                            + "; only the batch dim (axis 0) may be symbolic");
                }
            }
            checkSize(what, Shapes.bind(shape, 1));
            shapes.put(name, Shapes.bind(shape, 1));
            list.add(new ValueInfo(name, shape));
        }
        return list;
    }

    private static TypeProto.Tensor tensorType(ValueInfoProto v, String what) {
        if (!v.getType().hasTensorType()) throw new ModelException(what + " is not a tensor (type " + v.getType().getValueCase() + ")");
        TypeProto.Tensor tt = v.getType().getTensorType();
        int elem = tt.getElemType();
        if (elem != TensorProto.DataType.FLOAT_VALUE) {
            throw new ModelException(what + " has element type " + TensorCodec.typeName(elem) + "; FoldRT supports FLOAT only");
        }
        return tt;
    }

    /**
     * Output shapes come from shape inference; a dim that follows the batch size is marked {@link Shapes#BATCH}.
     * Static dims the file declares must agree with what the graph computes.
     */
    private List<ValueInfo> outputs(String name, List<ValueInfo> inputs) {
        List<ValueInfo> undeclared = new ArrayList<>();
        for (ValueInfoProto o : g.getOutputList()) {
            String out = o.getName();
            if (out.isEmpty()) throw new ModelException("a graph output has no name");
            if (constants.contains(out)) {
                used.put(out, constants.floatValue(out, "graph output"));
            } else if (!shapes.containsKey(out)) {
                throw new ModelException("graph output " + q(out) + " is not produced by any node, input or initializer");
            }
            undeclared.add(new ValueInfo(out, new int[0]));
        }
        Map<String, int[]> at2 = null;
        if (symbolicBatch) {
            try {
                at2 = ShapeInference.infer(new Graph(name, inputs, undeclared, nodes, used), 2);
            } catch (ArithmeticException e) {
                throw new ModelException("at batch 2 a shape no longer fits in 32-bit dimensions");
            }
        }
        List<ValueInfo> result = new ArrayList<>();
        for (ValueInfoProto o : g.getOutputList()) {
            String out = o.getName();
            int[] s1 = shape(out), s = s1.clone();
            if (at2 != null) {
                int[] s2 = at2.get(out);
                for (int i = 0; i < s.length; i++) {
                    if (s1[i] != s2[i]) s[i] = s1[i] == 1 && s2[i] == 2 ? Shapes.BATCH : 0;
                }
            }
            checkDeclared(o, s);
            if (result.stream().anyMatch(v -> v.name().equals(out))) throw new ModelException("graph output " + q(out) + " is listed twice");
            result.add(new ValueInfo(out, s));
        }
        return result;
    }

    private static void checkDeclared(ValueInfoProto o, int[] computed) {
        String what = "graph output " + q(o.getName());
        if (!o.hasType()) return;
        TypeProto.Tensor tt = o.getType().getTensorType();
        if (!o.getType().hasTensorType() || tt.getElemType() != 0 && tt.getElemType() != TensorProto.DataType.FLOAT_VALUE) {
            tensorType(o, what); // throws, naming the type
        }
        if (!tt.hasShape()) return;
        TensorShapeProto sp = tt.getShape();
        boolean ok = sp.getDimCount() == computed.length;
        for (int i = 0; ok && i < computed.length; i++) {
            var d = sp.getDim(i);
            if (d.hasDimValue() && d.getDimValue() > 0 && computed[i] > 0) ok = d.getDimValue() == computed[i];
        }
        if (!ok) {
            StringBuilder declared = new StringBuilder("[");
            for (int i = 0; i < sp.getDimCount(); i++) {
                var d = sp.getDim(i);
                declared.append(i > 0 ? "," : "").append(d.hasDimValue() ? String.valueOf(d.getDimValue()) : "?");
            }
            throw new ModelException(what + " is declared " + declared + "] but the graph computes " + Shapes.str(computed));
        }
    }

    // ---- nodes ----

    private void node(NodeProto p, int idx) {
        String type = p.getOpType();
        String name = nodeNames.fresh(p.getName().isEmpty() ? type + "_" + idx : p.getName());
        String where = "node " + q(name) + " (" + Names.clean(type) + ")";
        String domain = p.getDomain();
        if (!domain.isEmpty() && !domain.equals("ai.onnx")) throw unsupported(where, type, domain);
        if (p.getOutputCount() == 0 || p.getOutput(0).isEmpty()) throw new ModelException(where + " has no output");
        List<String> in = new ArrayList<>(p.getInputCount());
        for (String s : p.getInputList()) in.add(alias.getOrDefault(s, s));

        if (type.equals("Constant")) {
            constants.addConstantNode(p, where, opset);
            return;
        }
        OpTable.Spec spec = OpTable.get(type);
        if (spec == null) throw unsupported(where, type, "ai.onnx");
        if (in.size() < spec.minInputs() || in.size() > spec.maxInputs()) {
            throw new ModelException(where + " has " + in.size() + " inputs; expected " + spec.minInputs()
                    + (spec.maxInputs() == spec.minInputs() ? "" : spec.maxInputs() == Integer.MAX_VALUE ? " or more" : " to " + spec.maxInputs()));
        }
        if (p.getOutputCount() > spec.maxOutputs()) {
            throw new ModelException(where + " has " + p.getOutputCount() + " outputs; expected at most " + spec.maxOutputs());
        }
        if (type.equals("MaxPool") && p.getOutputCount() > 1 && !p.getOutput(1).isEmpty()) {
            throw new ModelException(where + ": the Indices output is not supported");
        }
        if (type.equals("BatchNormalization")) trainingOutputs(p, where);
        Attrs attrs = new Attrs(p, where, spec.attributes(opset), a -> spec.attributes().contains(a)
                ? " (" + type + " has it from opset " + spec.since(a) + "; this model is opset " + opset + ")" : "");
        String out = p.getOutput(0);
        if (type.equals("Identity") && constants.contains(in.get(0)) && !graphOutputs.contains(out)) {
            alias.put(out, in.get(0)); // PyTorch routes BN statistics through Identity: keep them constants
            return;
        }
        OpTable.Mapped m = spec.converter().convert(new NodeView(where, opset, attrs, in, this));
        Node node = new Node(name, m.op(), m.inputs(), List.of(out)); // other outputs are omitted ("") by now
        int[][] inShapes = new int[m.inputs().size()][];
        for (int i = 0; i < inShapes.length; i++) {
            String v = m.inputs().get(i);
            if (v.isEmpty()) continue;
            if (constants.contains(v)) used.put(v, constants.floatValue(v, where + ": input " + i));
            inShapes[i] = shape(v);
        }
        shapes.put(out, checkedShape(where, node, inShapes));
        nodes.add(node);
    }

    /**
     * Refuses a BatchNormalization that names any output besides Y. In opsets 9-13 that makes it training
     * mode (ONNX Runtime then normalizes with the batch's statistics); from 14 on, ONNX allows the extra
     * outputs only with training_mode=1. Importing either as inference would change what the model computes.
     */
    private void trainingOutputs(NodeProto p, String where) {
        for (int i = 1; i < p.getOutputCount(); i++) {
            if (p.getOutput(i).isEmpty()) continue;
            throw new ModelException(where + " names output " + i + " (" + q(p.getOutput(i)) + "): "
                    + (opset < 14 ? "before opset 14 a BatchNormalization with more than one output is training mode"
                            : "running-statistics outputs exist only with training_mode=1")
                    + "; FoldRT runs inference only (export the model in eval mode)");
        }
    }

    /** Shape inference for one node, with sizes that a Java array can hold. */
    private static int[] checkedShape(String where, Node node, int[][] inShapes) {
        int[] shape;
        try {
            shape = ShapeInference.outputShape(node, inShapes);
        } catch (ArithmeticException e) { // an int overflow inside the IR's shape arithmetic
            throw new ModelException(where + ": its output shape does not fit in 32-bit dimensions");
        }
        checkSize(where + " output", shape);
        return shape;
    }

    /** Refuses negative dims (an overflow) and tensors larger than a Java array. */
    private static void checkSize(String what, int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new ModelException(what + " has shape " + Shapes.str(shape) + "; dimensions must not be negative");
            n *= d;
            if (n > Integer.MAX_VALUE) throw new ModelException(what + " has shape " + Shapes.str(shape) + ", more than 2^31-1 elements");
        }
    }

    private ModelException unsupported(String where, String type, String domain) {
        return new ModelException(where + ": op " + q(type) + " of domain " + q(domain) + " (opset " + opset
                + ") is not supported; supported ops of the default domain: " + String.join(", ", OpTable.supported()));
    }

    @Override
    public int[] shape(String value) {
        int[] s = constants.contains(value) ? constants.shape(value) : shapes.get(value);
        if (s == null) throw new ModelException("value " + q(value) + " is not defined"); // TopoSort rules this out
        return s;
    }

    @Override
    public Tensor floatConstant(String value) {
        return constants.floatValue(value, "value");
    }

    @Override
    public long[] int64Constant(String value) {
        return constants.int64Value(value);
    }
}
