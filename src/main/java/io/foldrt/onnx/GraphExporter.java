package io.foldrt.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.Map;

/**
 * Builds the ModelProto for an IR graph at one opset. Shapes are inferred at batch 1 (for kernel_shape and
 * rewrites) and, when the graph has a symbolic batch, at batch 2 to tell which dims follow the batch.
 */
final class GraphExporter {
    static final String PRODUCER = "FoldRT";

    private final Graph g;
    private final int opset;
    private final GraphProto.Builder out = GraphProto.newBuilder();
    private final Names values = new Names();
    private final Names nodeNames = new Names();
    private final Map<String, int[]> shapes1;
    private Map<String, int[]> shapes2;

    GraphExporter(Graph g, int opset) {
        OnnxVersions.checkOpset(opset);
        this.g = g;
        this.opset = opset;
        this.shapes1 = ShapeInference.infer(g, 1);
        for (ValueInfo v : g.inputs()) values.reserve(v.name());
        for (String n : g.initializers().keySet()) values.reserve(n);
        for (Node n : g.nodes()) {
            nodeNames.reserve(n.name());
            for (String o : n.outputs()) values.reserve(o);
        }
    }

    ModelProto build() {
        out.setName(g.name());
        for (ValueInfo v : g.inputs()) out.addInput(Protos.valueInfo(v.name(), v.shape()));
        for (ValueInfo v : g.outputs()) {
            int[] s = v.shape().length > 0 ? v.shape() : declaredShape(v.name());
            out.addOutput(Protos.valueInfo(v.name(), s));
        }
        for (var e : g.initializers().entrySet()) out.addInitializer(TensorCodec.fromFloat(e.getKey(), e.getValue()));
        OpExports ops = new OpExports(this);
        for (Node n : g.nodes()) {
            for (NodeProto p : ops.export(n)) out.addNode(p);
        }
        return ModelProto.newBuilder()
                .setIrVersion(OnnxVersions.irVersionFor(opset))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setProducerName(PRODUCER)
                .setGraph(out)
                .build();
    }

    int opset() {
        return opset;
    }

    /** Shape of a value at batch 1. */
    int[] shape(String value) {
        return shapes1.get(value);
    }

    /** Shape of a value at batch 2, or the batch-1 shape when the graph has no symbolic batch. */
    int[] shapeAtBatch2(String value) {
        if (!hasSymbolicBatch()) return shape(value);
        if (shapes2 == null) shapes2 = ShapeInference.infer(g, 2);
        return shapes2.get(value);
    }

    /** A new value name, distinct from every name in the graph. */
    String freshValue(String base) {
        return values.fresh(base);
    }

    /** A new node name, distinct from every node name in the graph. */
    String freshNode(String base) {
        return nodeNames.fresh(base);
    }

    /** Adds a constant the ONNX form needs and the IR keeps as an attribute (Clip bounds, Reshape shape). */
    void addInitializer(TensorProto t) {
        out.addInitializer(t);
    }

    void addInitializer(String name, Tensor t) {
        out.addInitializer(TensorCodec.fromFloat(name, t));
    }

    private boolean hasSymbolicBatch() {
        for (ValueInfo v : g.inputs()) {
            for (int d : v.shape()) if (d == Shapes.BATCH) return true;
        }
        return false;
    }

    private int[] declaredShape(String value) {
        int[] s1 = shape(value), s2 = shapeAtBatch2(value), s = s1.clone();
        for (int i = 0; i < s.length; i++) {
            if (s1[i] != s2[i]) s[i] = s1[i] == 1 && s2[i] == 2 ? Shapes.BATCH : 0;
        }
        return s;
    }
}
