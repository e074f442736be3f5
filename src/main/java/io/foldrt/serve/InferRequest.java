package io.foldrt.serve;

import java.util.List;

/**
 * An inference request as parsed from JSON, before it is checked against a model.
 *
 * @param id      the client's request id, echoed in the response; null when not given
 * @param inputs  the input tensors in request order
 * @param outputs the names of the requested outputs; empty means every output
 */
record InferRequest(String id, List<Input> inputs, List<String> outputs) {
    InferRequest {
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
    }

    /**
     * One input tensor.
     *
     * @param index    position in the request's {@code inputs} array, for messages ("inputs[2].shape")
     * @param shape    the declared shape
     * @param data     the values, row-major
     * @param nesting  the lengths of the nested data arrays by depth: {@code [n]} for a flat array,
     *                 {@code [2,3]} for {@code [[a,b,c],[d,e,f]]}
     */
    record Input(int index, String name, String datatype, int[] shape, float[] data, int[] nesting) {
        String field(String f) {
            return "inputs[" + index + "]." + f;
        }
    }
}
