package io.foldrt.serve;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.foldrt.ir.Tensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The JSON codec alone: exact float round trips, nested data, and the structural 400s with field names. */
class InferJsonTest {
    private static InferRequest read(String json) {
        try {
            return InferJson.readRequest(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String error(String json) {
        HttpError e = assertThrows(HttpError.class, () -> read(json));
        assertEquals(400, e.status());
        return e.getMessage();
    }

    private static String input(String data) {
        return "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":" + data + "}]}";
    }

    @Test
    void floatsSurviveAResponseAndARequestBitForBit() {
        SplittableRandom rng = new SplittableRandom(5);
        float[] values = new float[20_000];
        for (int i = 0; i < values.length; i++) {
            // Every bit pattern class: random finite bits, tiny, huge, subnormal, signed zero.
            float f = Float.intBitsToFloat(rng.nextInt());
            values[i] = Float.isFinite(f) ? f : i;
        }
        values[0] = -0.0f;
        values[1] = Float.MIN_VALUE;
        values[2] = Float.MAX_VALUE;
        values[3] = 1.0e-45f;
        values[4] = 0.1f;
        Map<String, Tensor> out = Map.of("y", new Tensor(new int[] {values.length}, values));
        String response = new String(InferJson.inferResponse("m", null, out), StandardCharsets.UTF_8);
        String data = response.substring(response.indexOf("\"data\":") + 7, response.lastIndexOf(']') + 1);
        data = data.substring(0, data.indexOf(']') + 1);
        String request = "{\"inputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[" + values.length + "],\"data\":" + data + "}]}";
        float[] back = read(request).inputs().get(0).data();
        assertEquals(values.length, back.length);
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back[i]), "value " + i + ": " + values[i]);
        }
    }

    @Test
    void decimalsRoundLikeFloatParseFloat() {
        // Nine significant digits: where reading via a double and then narrowing could round twice.
        SplittableRandom rng = new SplittableRandom(9);
        StringBuilder sb = new StringBuilder("[");
        String[] texts = new String[5000];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = (rng.nextBoolean() ? "-" : "") + rng.nextInt(1, 10) + "." + String.format("%08d", rng.nextInt(100_000_000))
                    + "e" + rng.nextInt(-40, 38);
            sb.append(i > 0 ? "," : "").append(texts[i]);
        }
        String json = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[" + texts.length + "],\"data\":" + sb + "]}]}";
        float[] got = read(json).inputs().get(0).data();
        for (int i = 0; i < texts.length; i++) {
            assertEquals(Float.parseFloat(texts[i]), got[i], texts[i]);
        }
    }

    @Test
    void readsTheWholeRequest() {
        InferRequest r = read("{\"id\":\"r1\",\"parameters\":{\"x\":[1,{\"y\":2}]},"
                + "\"inputs\":[{\"name\":\"a\",\"shape\":[1,2],\"datatype\":\"FP32\",\"parameters\":{},\"data\":[[1,-2.5]]},"
                + "{\"data\":[3e2,4],\"name\":\"b\",\"datatype\":\"INT8\",\"shape\":[2]}],"
                + "\"outputs\":[{\"name\":\"o2\",\"parameters\":{\"binary_data\":false}},{\"name\":\"o1\"}]}");
        assertEquals("r1", r.id());
        assertEquals(List.of("o2", "o1"), r.outputs());
        InferRequest.Input a = r.inputs().get(0), b = r.inputs().get(1);
        assertEquals("a", a.name());
        assertArrayEquals(new int[] {1, 2}, a.shape());
        assertArrayEquals(new float[] {1f, -2.5f}, a.data());
        assertArrayEquals(new int[] {1, 2}, a.nesting());
        assertEquals("INT8", b.datatype()); // checked against the model later
        assertArrayEquals(new float[] {300f, 4f}, b.data());
        assertArrayEquals(new int[] {2}, b.nesting());
        assertNull(read("{\"inputs\":[]}").id());
    }

    @Test
    void nestedDataMustBeRectangularNumbers() {
        assertArrayEquals(new int[] {2, 3}, read(input("[[1,2,3],[4,5,6]]")).inputs().get(0).nesting());
        assertArrayEquals(new int[] {2, 1, 0}, read(input("[[[]],[[]]]")).inputs().get(0).nesting());
        assertEquals("inputs[0].data: nested arrays are ragged (arrays at depth 2 have 3 and 2 elements)",
                error(input("[[1,2,3],[4,5]]")));
        assertEquals("inputs[0].data: mixes numbers and arrays at the same depth", error(input("[1,[2]]")));
        assertEquals("inputs[0].data: mixes numbers and arrays at the same depth", error(input("[[1],2]")));
        assertEquals("inputs[0].data: mixes numbers and arrays at the same depth", error(input("[[],1]")));
        assertEquals("inputs[0].data: value 1 (row-major) must be a number, got a string", error(input("[1,\"2\"]")));
        assertEquals("inputs[0].data: value 0 (row-major) must be a number, got null", error(input("[null]")));
        assertEquals("inputs[0].data: expected an array of numbers, got an object", error(input("{}")));
        assertEquals("inputs[0].data: nested deeper than 16 levels", error(input("[".repeat(17) + "]".repeat(17))));
    }

    @Test
    void nonFiniteNumbersAreRejected() {
        String rule = "; inputs must be finite FP32 numbers";
        assertEquals("inputs[0].data: value 2 (row-major) is NaN" + rule, error(input("[1,2,NaN]")));
        assertEquals("inputs[0].data: value 0 (row-major) is Infinity" + rule, error(input("[Infinity]")));
        assertEquals("inputs[0].data: value 1 (row-major) is -Infinity" + rule, error(input("[[0,-Infinity]]")));
        assertEquals("inputs[0].data: value 0 (row-major) is 1e39 (beyond the FP32 range)" + rule, error(input("[1e39]")));
        assertEquals("inputs[0].data: value 0 (row-major) is -" + "9".repeat(40) + " (beyond the FP32 range)" + rule,
                error(input("[-" + "9".repeat(40) + "]")));
    }

    @Test
    void structuralErrorsNameTheField() {
        assertEquals("request body is empty; expected a JSON object", error(""));
        assertEquals("request body must be a JSON object, got an array", error("[]"));
        assertEquals("missing field 'inputs'", error("{\"id\":\"a\"}"));
        assertEquals("id: expected a string, got a number", error("{\"id\":5,\"inputs\":[]}"));
        assertEquals("inputs: expected an array, got an object", error("{\"inputs\":{}}"));
        assertEquals("inputs[0]: expected an object, got a string", error("{\"inputs\":[\"x\"]}"));
        assertEquals("inputs[0]: missing field 'name'", error("{\"inputs\":[{\"datatype\":\"FP32\",\"shape\":[1],\"data\":[1]}]}"));
        assertEquals("inputs[0]: missing field 'datatype'", error("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"data\":[1]}]}"));
        assertEquals("inputs[0]: missing field 'shape'", error("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"data\":[1]}]}"));
        assertEquals("inputs[0]: missing field 'data'", error("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1]}]}"));
        assertEquals("inputs[0].name: expected a string, got a number", error("{\"inputs\":[{\"name\":1}]}"));
        assertEquals("inputs[0].shape[1]: expected a non-negative integer, got -3",
                error("{\"inputs\":[{\"shape\":[1,-3]}]}"));
        assertEquals("inputs[0].shape[0]: expected a non-negative integer, got 1.5", error("{\"inputs\":[{\"shape\":[1.5]}]}"));
        assertEquals("inputs[0].shape[0]: expected a non-negative integer, got 4294967296",
                error("{\"inputs\":[{\"shape\":[4294967296]}]}"));
        assertEquals("inputs[0].shape: too many elements for one tensor", error("{\"inputs\":[{\"shape\":[65536,65536]}]}"));
        assertEquals("outputs[0]: missing field 'name'", error("{\"inputs\":[],\"outputs\":[{}]}"));
        assertEquals("outputs[1].name: output 'y' is requested twice",
                error("{\"inputs\":[],\"outputs\":[{\"name\":\"y\"},{\"name\":\"y\"}]}"));
    }

    @Test
    void malformedJsonSaysWhere() {
        assertEquals("malformed JSON at line 1, column 12: Unexpected end-of-input: expected close marker for Array"
                + " (start marker at line 1, column 11)", error("{\"inputs\":["));
        assertEquals("malformed JSON at line 2, column 1: Unexpected character (',' (code 44)):"
                + " was expecting double-quote to start field name", error("{\n,}"));
        assertEquals("malformed JSON: content after the request object", error("{\"inputs\":[]} {}"));
        assertEquals("malformed JSON at line 1, column 22: Duplicate field 'inputs'", error("{\"inputs\":[],\"inputs\":[]}"));
    }

    @Test
    void responsesAndMetadata() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("b", Tensor.of(new int[] {1, 2}, 1.5f, -0f));
        out.put("a", Tensor.of(new int[] {0, 3}));
        assertEquals("{\"model_name\":\"m\",\"id\":\"7\",\"outputs\":[{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[1,2],"
                        + "\"data\":[1.5,-0.0]},{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[0,3],\"data\":[]}]}",
                new String(InferJson.inferResponse("m", "7", out), StandardCharsets.UTF_8));
        assertEquals("{\"error\":\"say \\\"hi\\\"\"}", new String(InferJson.error("say \"hi\""), StandardCharsets.UTF_8));
        // JSON has no NaN or Infinity: a model output that overflowed is written as a string, still valid JSON.
        assertEquals("{\"model_name\":\"m\",\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP32\",\"shape\":[3],"
                        + "\"data\":[\"NaN\",\"Infinity\",\"-Infinity\"]}]}",
                new String(InferJson.inferResponse("m", null, Map.of("y", Tensor.of(new int[] {3}, Float.NaN,
                        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY))), StandardCharsets.UTF_8));
    }
}
