package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.foldrt.ir.ModelException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Typed, checked access to one node's attributes. Unknown attribute names, duplicates and values of the
 * wrong type are refused rather than ignored, because ignoring an attribute could silently change what
 * the model computes.
 */
final class Attrs {
    private final String where;
    private final Map<String, AttributeProto> byName = new HashMap<>();

    /**
     * @param where  "node 'x' (Conv)", for messages
     * @param known  attribute names this op has at the model's opset
     * @param why    explains an unknown name (e.g. that it exists only in a later opset), or returns ""
     */
    Attrs(NodeProto node, String where, Set<String> known, Function<String, String> why) {
        this.where = where;
        for (AttributeProto a : node.getAttributeList()) {
            String n = a.getName();
            if (!known.contains(n)) {
                throw new ModelException(where + ": unknown attribute " + q(n) + why.apply(n) + "; expected "
                        + (known.isEmpty() ? "none" : "one of " + new TreeSet<>(known)));
            }
            if (byName.put(n, a) != null) throw new ModelException(where + ": attribute " + q(n) + " is given twice");
            if (a.hasRefAttrName()) {
                throw new ModelException(where + ": attribute " + q(n) + " refers to a function attribute; "
                        + "functions are not supported");
            }
        }
    }

    boolean has(String name) {
        return byName.containsKey(name);
    }

    long i(String name, long dflt) {
        AttributeProto a = get(name, AttributeType.INT);
        return a == null ? dflt : a.getI();
    }

    /** An INT attribute that must fit in [min, max]. */
    int i(String name, int dflt, int min, int max) {
        long v = i(name, dflt);
        if (v < min || v > max) {
            throw new ModelException(where + ": attribute " + q(name) + " is " + v + "; expected " + min + " to " + max);
        }
        return (int) v;
    }

    /** An INT attribute that is a 0/1 flag. */
    boolean flag(String name) {
        return i(name, 0, 0, 1) == 1;
    }

    float f(String name, float dflt) {
        AttributeProto a = get(name, AttributeType.FLOAT);
        return a == null ? dflt : a.getF();
    }

    String s(String name, String dflt) {
        AttributeProto a = get(name, AttributeType.STRING);
        return a == null ? dflt : a.getS().toString(StandardCharsets.UTF_8);
    }

    /** An INTS attribute, or null when absent. */
    long[] ints(String name) {
        AttributeProto a = get(name, AttributeType.INTS);
        if (a == null) return null;
        List<Long> l = a.getIntsList();
        long[] r = new long[l.size()];
        for (int k = 0; k < r.length; k++) r[k] = l.get(k);
        return r;
    }

    /** A FLOATS attribute, or null when absent. */
    float[] floats(String name) {
        AttributeProto a = get(name, AttributeType.FLOATS);
        if (a == null) return null;
        List<Float> l = a.getFloatsList();
        float[] r = new float[l.size()];
        for (int k = 0; k < r.length; k++) r[k] = l.get(k);
        return r;
    }

    TensorProto t(String name) {
        AttributeProto a = get(name, AttributeType.TENSOR);
        return a == null ? null : a.getT();
    }

    /** The attribute if present, after checking that it has the expected type. */
    private AttributeProto get(String name, AttributeType type) {
        AttributeProto a = byName.get(name);
        if (a == null) return null;
        AttributeType t = a.getType();
        // Very old writers left the type unset; then the value field that is filled decides.
        boolean ok = t == type || (t == AttributeType.UNDEFINED && holds(a, type));
        if (!ok) {
            throw new ModelException(where + ": attribute " + q(name) + " has type " + t + "; expected " + type);
        }
        return a;
    }

    private static boolean holds(AttributeProto a, AttributeType type) {
        return switch (type) {
            case INT -> a.hasI();
            case FLOAT -> a.hasF();
            case STRING -> a.hasS();
            case TENSOR -> a.hasT();
            case INTS -> a.getIntsCount() > 0;
            case FLOATS -> a.getFloatsCount() > 0;
            default -> false;
        };
    }
}
