package io.foldrt.serve;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Arrays;

/**
 * Reads the {@code data} array of a tensor straight from the token stream into a {@code float[]}: no boxed
 * numbers and no intermediate tree, which matters for images of hundreds of thousands of values.
 *
 * <p>The array may be flat or nested. Nested arrays must be rectangular (every array at one depth has the same
 * length) and hold numbers only at the innermost depth; the lengths by depth are returned so the caller can
 * compare them with the declared shape.
 *
 * <p>The non-finite rule: NaN, Infinity and numbers beyond the float32 range (such as 1e39) are rejected. JSON has
 * no NaN or Infinity; the parser accepts the common {@code NaN}/{@code Infinity} tokens only to name them in the
 * error instead of reporting malformed JSON.
 */
final class TensorDataReader {
    /** Deeper nesting than any tensor rank the runtime supports; stops pathological inputs early. */
    static final int MAX_DEPTH = 16;

    /** The values and the array lengths by depth (see the class comment). */
    record Data(float[] values, int[] nesting) {}

    private TensorDataReader() {}

    /**
     * @param p     positioned on the {@code START_ARRAY} of the data
     * @param field the field path for messages, e.g. "inputs[0].data"
     * @throws HttpError 400 naming the field for anything that is not a rectangular array of finite numbers
     */
    static Data read(JsonParser p, String field) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw HttpError.badRequest(field + ": expected an array of numbers, got " + InferJson.describe(p.currentToken()));
        }
        float[] values = new float[256];
        int n = 0;
        int[] count = new int[MAX_DEPTH + 1];   // elements seen so far in the open array at each depth
        int[] length = new int[MAX_DEPTH + 1];  // the length every array at that depth must have; -1 unknown yet
        Arrays.fill(length, -1);
        int leafDepth = -1;                     // the depth that holds numbers, once one was seen
        int depth = 1;
        int maxDepth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == null) throw HttpError.badRequest(field + ": the array is not closed");
            switch (t) {
                case START_ARRAY -> {
                    if (leafDepth >= 0 && depth >= leafDepth) throw mixed(field);
                    if (depth == MAX_DEPTH) throw HttpError.badRequest(field + ": nested deeper than " + MAX_DEPTH + " levels");
                    count[depth]++;
                    depth++;
                    count[depth] = 0;
                    maxDepth = Math.max(maxDepth, depth);
                }
                case END_ARRAY -> {
                    if (length[depth] < 0) {
                        length[depth] = count[depth];
                    } else if (length[depth] != count[depth]) {
                        throw HttpError.badRequest(field + ": nested arrays are ragged (arrays at depth " + depth
                                + " have " + length[depth] + " and " + count[depth] + " elements)");
                    }
                    depth--;
                }
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                    if (leafDepth < 0) leafDepth = depth;
                    else if (leafDepth != depth) throw mixed(field);
                    if (depth < maxDepth) throw mixed(field); // an array was seen deeper than this number
                    float v = p.getFloatValue();
                    if (!Float.isFinite(v)) throw nonFinite(field, n, p);
                    if (n == values.length) values = Arrays.copyOf(values, grow(values.length));
                    values[n++] = v;
                    count[depth]++;
                }
                default -> throw HttpError.badRequest(field + ": value " + n + " (row-major) must be a number, got "
                        + InferJson.describe(t));
            }
        }
        int[] nesting = Arrays.copyOfRange(length, 1, maxDepth + 1);
        return new Data(n == values.length ? values : Arrays.copyOf(values, n), nesting);
    }

    private static int grow(int len) {
        if (len >= Integer.MAX_VALUE - 8) throw HttpError.badRequest("tensor data has too many values");
        return (int) Math.min(Integer.MAX_VALUE - 8L, 2L * len);
    }

    private static HttpError mixed(String field) {
        return HttpError.badRequest(field + ": mixes numbers and arrays at the same depth");
    }

    private static HttpError nonFinite(String field, int index, JsonParser p) throws IOException {
        String text = p.getText();
        String what = text.contains("NaN") ? "NaN" : text.contains("Infinity") ? text : text + " (beyond the FP32 range)";
        return HttpError.badRequest(field + ": value " + index + " (row-major) is " + what
                + "; inputs must be finite FP32 numbers");
    }
}
