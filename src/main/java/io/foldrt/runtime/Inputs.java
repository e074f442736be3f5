package io.foldrt.runtime;

import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Checks the inputs of a forward pass against a graph's declared inputs, before anything reaches a backend.
 * Every problem is a one-line {@link ModelException} that names the input and the expected shape.
 */
public final class Inputs {
    private Inputs() {}

    /**
     * The inputs a caller must supply: the graph inputs that are not also initializers (older ONNX files
     * list weights among the inputs).
     */
    public static List<ValueInfo> required(Graph g) {
        List<ValueInfo> out = new ArrayList<>();
        for (ValueInfo v : g.inputs()) {
            if (!g.initializers().containsKey(v.name())) out.add(v);
        }
        return out;
    }

    /** Null when {@code actual} fits {@code declared} ({@link Shapes#BATCH} matches any size >= 1), else why not. */
    public static String mismatch(ValueInfo declared, int[] actual) {
        int[] d = declared.shape();
        boolean ok = d.length == actual.length;
        for (int i = 0; ok && i < d.length; i++) {
            ok = d[i] == Shapes.BATCH ? actual[i] >= 1 : d[i] == actual[i];
        }
        return ok ? null : "expected " + Shapes.str(d) + ", got " + Shapes.str(actual);
    }

    /**
     * Checks names, ranks and dimensions of {@code inputs}, and that every batch dimension has the same size.
     *
     * @return the batch size (1 when no input has a batch dimension)
     */
    public static int check(Graph g, Map<String, Tensor> inputs) {
        List<ValueInfo> required = required(g);
        for (String name : inputs.keySet()) {
            if (required.stream().noneMatch(v -> v.name().equals(name))) {
                throw new ModelException("unknown input '" + name + "' (model inputs: " + names(required) + ")");
            }
        }
        int batch = -1;
        String batchFrom = null;
        for (ValueInfo v : required) {
            Tensor t = inputs.get(v.name());
            if (t == null) {
                String why = inputs.containsKey(v.name()) ? "' is null" : "' is missing";
                throw new ModelException("input '" + v.name() + why + " (model inputs: " + names(required) + ")");
            }
            int[] shape = t.shape();
            String bad = mismatch(v, shape);
            if (bad != null) throw new ModelException("input '" + v.name() + "': " + bad);
            int[] d = v.shape();
            for (int i = 0; i < d.length; i++) {
                if (d[i] != Shapes.BATCH) continue;
                if (batch < 0) {
                    batch = shape[i];
                    batchFrom = v.name();
                } else if (shape[i] != batch) {
                    throw new ModelException("input '" + v.name() + "' has batch size " + shape[i] + " but input '"
                            + batchFrom + "' has " + batch);
                }
            }
        }
        return batch < 0 ? 1 : batch;
    }

    private static String names(List<ValueInfo> vs) {
        StringJoiner j = new StringJoiner(", ");
        for (ValueInfo v : vs) j.add(v.name() + Shapes.str(v.shape()));
        return j.toString();
    }
}
