package io.foldrt.onnx;

import io.foldrt.ir.Op;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The ONNX operators FoldRT imports (default domain, opsets 9 to 21): for each, the input and output counts,
 * the attribute names it may carry, and the converter to an IR {@link Op}. Constant and Identity-of-a-constant
 * are resolved by the graph importer before this table is consulted.
 */
final class OpTable {
    /** The IR op and the node's inputs that the IR node keeps (constant operands such as shapes are folded in). */
    record Mapped(Op op, List<String> inputs) {}

    interface Converter {
        Mapped convert(NodeView n);
    }

    record Spec(String type, int minInputs, int maxInputs, int maxOutputs, Set<String> attributes, Converter converter) {
        /** The attributes this op has at {@code opset}: some only appeared in later versions. */
        Set<String> attributes(int opset) {
            Set<String> s = new HashSet<>();
            for (String a : attributes) if (opset >= SINCE.getOrDefault(type + "." + a, 1)) s.add(a);
            return s;
        }

        /** The first opset that has attribute {@code a}, for messages. */
        int since(String a) {
            return SINCE.getOrDefault(type + "." + a, 1);
        }
    }

    /** Attributes added after opset 9, by the opset that introduced them. */
    private static final Map<String, Integer> SINCE = Map.of(
            "MaxPool.ceil_mode", 10, "MaxPool.dilations", 10, "AveragePool.ceil_mode", 10,
            "AveragePool.dilations", 19, "Reshape.allowzero", 14, "BatchNormalization.training_mode", 14);

    private static final Set<String> WINDOW = Set.of("auto_pad", "dilations", "kernel_shape", "pads", "strides");
    private static final Map<String, Spec> SPECS = new TreeMap<>();

    static {
        add("Conv", 2, 3, 1, union(WINDOW, "group"), OpImports::conv);
        add("ConvTranspose", 2, 3, 1, union(WINDOW, "group", "output_padding", "output_shape"), OpImports::convTranspose);
        // Outputs 2..5 are the training-mode statistics; an inference-mode node may still list them.
        add("BatchNormalization", 5, 5, 5, Set.of("epsilon", "momentum", "training_mode"), OpImports::batchNorm);
        add("Gemm", 2, 3, 1, Set.of("alpha", "beta", "transA", "transB"), OpImports::gemm);
        add("MatMul", 2, 2, 1, Set.of(), n -> OpImports.plain(n, new Op.MatMul(), 2));
        add("Add", 2, 2, 1, Set.of(), n -> OpImports.plain(n, new Op.Add(), 2));
        add("Mul", 2, 2, 1, Set.of(), n -> OpImports.plain(n, new Op.Mul(), 2));
        add("Relu", 1, 1, 1, Set.of(), n -> OpImports.plain(n, new Op.Relu(), 1));
        add("Sigmoid", 1, 1, 1, Set.of(), n -> OpImports.plain(n, new Op.Sigmoid(), 1));
        add("Identity", 1, 1, 1, Set.of(), n -> OpImports.plain(n, new Op.Identity(), 1));
        add("GlobalAveragePool", 1, 1, 1, Set.of(), n -> OpImports.plain(n, new Op.GlobalAveragePool(), 1));
        add("Clip", 1, 3, 1, Set.of("min", "max"), OpImports::clip);
        add("Softmax", 1, 1, 1, Set.of("axis"), OpImports::softmax);
        add("MaxPool", 1, 1, 2, union(WINDOW, "ceil_mode", "storage_order"), OpImports::maxPool);
        add("AveragePool", 1, 1, 1, union(WINDOW, "ceil_mode", "count_include_pad"), OpImports::averagePool);
        add("Flatten", 1, 1, 1, Set.of("axis"), OpImports::flatten);
        add("Reshape", 2, 2, 1, Set.of("allowzero"), OpImports::reshape);
        add("Concat", 1, Integer.MAX_VALUE, 1, Set.of("axis"), OpImports::concat);
    }

    private OpTable() {}

    /** The spec for an op type of the default domain, or null when unsupported. */
    static Spec get(String opType) {
        return SPECS.get(opType);
    }

    /** Supported op types, sorted, including Constant (which becomes an initializer). */
    static List<String> supported() {
        List<String> l = new ArrayList<>(SPECS.keySet());
        l.add("Constant");
        l.sort(null);
        return l;
    }

    private static void add(String type, int minIn, int maxIn, int maxOut, Set<String> attrs, Converter c) {
        SPECS.put(type, new Spec(type, minIn, maxIn, maxOut, attrs, c));
    }

    private static Set<String> union(Set<String> base, String... more) {
        var s = new HashSet<>(base);
        s.addAll(List.of(more));
        return Set.copyOf(s);
    }
}
