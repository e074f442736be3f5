package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The constants of one graph: initializers (converted on first use, so unused ones cost nothing) and the
 * values of Constant nodes. Float32 constants become {@link Tensor}s; int64 ones are kept as {@code long[]}
 * for the ops that read shapes.
 */
final class Constants {
    private final Map<String, TensorProto> initializers = new HashMap<>();
    private final Map<String, Tensor> floats = new HashMap<>();
    private final Map<String, long[]> ints = new HashMap<>();
    private final Map<String, int[]> shapes = new HashMap<>();

    /** Registers an initializer; its dims are checked now, its data when first used. */
    void addInitializer(TensorProto t) {
        String what = "initializer " + q(t.getName());
        if (t.getName().isEmpty()) throw new ModelException("an initializer has no name");
        if (initializers.put(t.getName(), t) != null) throw new ModelException(what + " is defined twice");
        shapes.put(t.getName(), TensorCodec.shape(t, what));
    }

    boolean isInitializer(String name) {
        return initializers.containsKey(name);
    }

    Set<String> initializerNames() {
        return initializers.keySet();
    }

    boolean contains(String name) {
        return shapes.containsKey(name);
    }

    /** Shape of a constant, or null for a value that is not one. */
    int[] shape(String name) {
        return shapes.get(name);
    }

    /** A Constant node's value, stored under its output name. */
    void addConstantNode(NodeProto p, String where, int opset) {
        if (p.getInputCount() > 0) throw new ModelException(where + " has inputs; Constant takes none");
        if (p.getOutputCount() != 1) throw new ModelException(where + " must have exactly 1 output");
        Set<String> known = opset >= 12 ? Set.of("value", "value_float", "value_floats", "value_int", "value_ints",
                "value_string", "value_strings", "sparse_value") : Set.of("value", "sparse_value");
        if (p.getAttributeCount() != 1) {
            throw new ModelException(where + " has " + p.getAttributeCount() + " attributes; expected exactly one of " + known);
        }
        Attrs a = new Attrs(p, where, known,
                n -> n.startsWith("value_") ? " (Constant has it from opset 12; this model is opset " + opset + ")" : "");
        String out = p.getOutput(0);
        String what = where + " value";
        if (a.has("value")) {
            TensorProto t = a.t("value");
            if (TensorCodec.isInt64(t)) putInt(out, TensorCodec.toInt64(t, what), TensorCodec.shape(t, what));
            else putFloat(out, TensorCodec.toFloat(t, what));
        } else if (a.has("value_float")) {
            putFloat(out, Tensor.scalar(a.f("value_float", 0f)));
        } else if (a.has("value_floats")) {
            float[] f = a.floats("value_floats");
            putFloat(out, new Tensor(new int[] {f.length}, f));
        } else if (a.has("value_int")) {
            putInt(out, new long[] {a.i("value_int", 0)}, new int[0]);
        } else if (a.has("value_ints")) {
            long[] v = a.ints("value_ints");
            putInt(out, v, new int[] {v.length});
        } else {
            throw new ModelException(where + ": string and sparse constants are not supported");
        }
    }

    private void putFloat(String name, Tensor t) {
        floats.put(name, t);
        shapes.put(name, t.shape());
    }

    private void putInt(String name, long[] v, int[] shape) {
        ints.put(name, v);
        shapes.put(name, shape);
    }

    /** The float32 constant {@code name}; null if it is not a constant; refuses a constant of another type. */
    Tensor floatValue(String name, String usedAs) {
        Tensor t = floats.get(name);
        if (t != null || !contains(name)) return t;
        int type = ints.containsKey(name) ? TensorProto.DataType.INT64_VALUE : initializers.get(name).getDataType();
        if (type != TensorProto.DataType.FLOAT_VALUE) {
            throw new ModelException(usedAs + " " + q(name) + " has data type " + TensorCodec.typeName(type)
                    + "; FoldRT computes in FLOAT only (INT64 is accepted for shapes)");
        }
        t = TensorCodec.toFloat(initializers.get(name), "initializer " + q(name));
        floats.put(name, t);
        return t;
    }

    /** The int64 constant {@code name}, or null if it is not an int64 constant. */
    long[] int64Value(String name) {
        long[] v = ints.get(name);
        TensorProto t = initializers.get(name);
        if (v == null && t != null && TensorCodec.isInt64(t)) {
            v = TensorCodec.toInt64(t, "initializer " + q(name));
            ints.put(name, v);
        }
        return v;
    }
}
