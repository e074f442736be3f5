package io.foldrt.serve;

import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Checks a parsed request against a model's inputs and outputs, so that nothing that would fail in the forward
 * pass reaches the queue. Every problem is a 400 whose message names the request field and says what the model
 * expects, with shapes written as in the metadata ({@code -1} = any batch size).
 */
final class InferValidator {
    /** The request as the model takes it. */
    record Checked(Map<String, Tensor> inputs, int batch, List<String> outputs) {}

    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;

    InferValidator(List<ValueInfo> inputs, List<ValueInfo> outputs) {
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
    }

    /** @throws HttpError 400 for the first problem found */
    Checked check(InferRequest request) {
        Map<String, InferRequest.Input> byName = new HashMap<>();
        for (InferRequest.Input in : request.inputs()) {
            ValueInfo declared = input(in.name());
            if (declared == null) {
                throw HttpError.badRequest(in.field("name") + ": unknown input '" + in.name() + "' (model inputs: "
                        + list(inputs) + ")");
            }
            if (byName.put(in.name(), in) != null) {
                throw HttpError.badRequest(in.field("name") + ": input '" + in.name() + "' is given twice");
            }
            checkTensor(in, declared);
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        int batch = -1;
        String batchFrom = null;
        for (ValueInfo v : inputs) {
            InferRequest.Input in = byName.get(v.name());
            if (in == null) {
                throw HttpError.badRequest("inputs: missing input '" + v.name() + "' (model inputs: " + list(inputs) + ")");
            }
            int[] d = v.shape();
            for (int i = 0; i < d.length; i++) {
                if (d[i] != Shapes.BATCH) continue;
                if (batch < 0) {
                    batch = in.shape()[i];
                    batchFrom = v.name();
                } else if (in.shape()[i] != batch) {
                    throw HttpError.badRequest(in.field("shape") + ": batch size " + in.shape()[i]
                            + " differs from batch size " + batch + " of input '" + batchFrom + "'");
                }
            }
            tensors.put(v.name(), new Tensor(in.shape(), in.data()));
        }
        for (int i = 0; i < request.outputs().size(); i++) {
            String name = request.outputs().get(i);
            if (outputs.stream().noneMatch(o -> o.name().equals(name))) {
                throw HttpError.badRequest("outputs[" + i + "].name: unknown output '" + name + "' (model outputs: "
                        + list(outputs) + ")");
            }
        }
        return new Checked(tensors, batch < 0 ? 1 : batch, request.outputs());
    }

    private static void checkTensor(InferRequest.Input in, ValueInfo declared) {
        if (!in.datatype().equals("FP32")) {
            throw HttpError.badRequest(in.field("datatype") + ": '" + in.datatype() + "' is not supported; input '"
                    + in.name() + "' is FP32");
        }
        int[] want = declared.shape(), got = in.shape();
        boolean fits = want.length == got.length;
        for (int i = 0; fits && i < want.length; i++) fits = want[i] == Shapes.BATCH ? got[i] >= 1 : want[i] == got[i];
        if (!fits) {
            throw HttpError.badRequest(in.field("shape") + ": " + str(got) + " does not fit input '" + in.name() + "' "
                    + str(want) + " (-1 = any batch size >= 1)");
        }
        int[] nesting = in.nesting();
        if (nesting.length > 1 && !Arrays.equals(nesting, got)) {
            throw HttpError.badRequest(in.field("data") + ": nested as " + str(nesting) + " but the shape is " + str(got)
                    + "; send the values flat or nested exactly as the shape");
        }
        long need = 1;
        for (int dim : got) need *= dim;
        if (in.data().length != need) {
            throw HttpError.badRequest(in.field("data") + ": has " + in.data().length + " values but shape " + str(got)
                    + " needs " + need);
        }
    }

    private ValueInfo input(String name) {
        for (ValueInfo v : inputs) if (v.name().equals(name)) return v;
        return null;
    }

    /** "[-1,3,8,8]": the protocol's notation, as in the model metadata. */
    static String str(int[] shape) {
        return Arrays.toString(shape).replace(" ", "");
    }

    private static String list(List<ValueInfo> vs) {
        StringJoiner j = new StringJoiner(", ");
        for (ValueInfo v : vs) j.add(v.name() + str(v.shape()));
        return j.toString();
    }
}
