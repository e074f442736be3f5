package io.foldrt.serve;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The JSON side of the Open Inference Protocol: reads inference requests with Jackson's streaming parser and
 * writes responses, metadata and errors with its generator.
 *
 * <p>Reading checks the request's structure (types of fields, required fields, nesting of data) and reports the
 * first problem as a 400 naming the field; whether the tensors fit the model is {@link InferValidator}'s job.
 * Unknown fields, including the protocol's optional {@code parameters}, are skipped.
 */
final class InferJson {
    private static final JsonFactory JSON = JsonFactory.builder()
            // Accepted so that a NaN in the data gets "value 3 is NaN" rather than "malformed JSON".
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private InferJson() {}

    // ---------------------------------------------------------------------------------------------- reading

    /**
     * Parses an inference request body.
     *
     * @throws HttpError 400 for malformed JSON or a request that does not have the protocol's structure
     * @throws IOException when reading the body fails (including {@link LimitedInputStream.TooLarge})
     */
    static InferRequest readRequest(InputStream body) throws IOException {
        try (JsonParser p = JSON.createParser(body)) {
            JsonToken first = p.nextToken();
            if (first == null) throw HttpError.badRequest("request body is empty; expected a JSON object");
            if (first != JsonToken.START_OBJECT) {
                throw HttpError.badRequest("request body must be a JSON object, got " + describe(first));
            }
            String id = null;
            List<InferRequest.Input> inputs = null;
            List<String> outputs = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "id" -> {
                        if (t != JsonToken.VALUE_STRING) throw HttpError.badRequest("id: expected a string, got " + describe(t));
                        id = p.getText();
                    }
                    case "inputs" -> inputs = readInputs(p);
                    case "outputs" -> outputs = readOutputs(p);
                    default -> p.skipChildren(); // "parameters" and extensions this server does not implement
                }
            }
            if (p.nextToken() != null) throw HttpError.badRequest("malformed JSON: content after the request object");
            if (inputs == null) throw HttpError.badRequest("missing field 'inputs'");
            return new InferRequest(id, inputs, outputs);
        } catch (JsonProcessingException e) {
            throw malformed(e);
        }
    }

    private static List<InferRequest.Input> readInputs(JsonParser p) throws IOException {
        expectArray(p, "inputs");
        List<InferRequest.Input> inputs = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            int i = inputs.size();
            String at = "inputs[" + i + "]";
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw HttpError.badRequest(at + ": expected an object, got " + describe(p.currentToken()));
            }
            String name = null, datatype = null;
            int[] shape = null;
            TensorDataReader.Data data = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                switch (field) {
                    case "name" -> name = string(p, t, at + ".name");
                    case "datatype" -> datatype = string(p, t, at + ".datatype");
                    case "shape" -> shape = readShape(p, at + ".shape");
                    case "data" -> data = TensorDataReader.read(p, at + ".data");
                    default -> p.skipChildren();
                }
            }
            if (name == null) throw missing(at, "name");
            if (datatype == null) throw missing(at, "datatype");
            if (shape == null) throw missing(at, "shape");
            if (data == null) throw missing(at, "data");
            inputs.add(new InferRequest.Input(i, name, datatype, shape, data.values(), data.nesting()));
        }
        return inputs;
    }

    private static List<String> readOutputs(JsonParser p) throws IOException {
        expectArray(p, "outputs");
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String at = "outputs[" + names.size() + "]";
            if (p.currentToken() != JsonToken.START_OBJECT) {
                throw HttpError.badRequest(at + ": expected an object, got " + describe(p.currentToken()));
            }
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if (field.equals("name")) name = string(p, t, at + ".name");
                else p.skipChildren();
            }
            if (name == null) throw missing(at, "name");
            if (!seen.add(name)) throw HttpError.badRequest(at + ".name: output '" + name + "' is requested twice");
            names.add(name);
        }
        return names;
    }

    private static int[] readShape(JsonParser p, String field) throws IOException {
        expectArray(p, field);
        int[] dims = new int[8];
        int n = 0;
        long elements = 1;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            JsonToken t = p.currentToken();
            if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() != JsonParser.NumberType.INT || p.getIntValue() < 0) {
                throw HttpError.badRequest(field + "[" + n + "]: expected a non-negative integer, got "
                        + (t.isNumeric() ? p.getText() : describe(t)));
            }
            if (n == TensorDataReader.MAX_DEPTH) throw HttpError.badRequest(field + ": more than " + n + " dimensions");
            if (n == dims.length) dims = Arrays.copyOf(dims, 2 * n);
            dims[n++] = p.getIntValue();
            elements *= p.getIntValue();
            if (elements > Integer.MAX_VALUE) throw HttpError.badRequest(field + ": too many elements for one tensor");
        }
        return Arrays.copyOf(dims, n);
    }

    private static String string(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.VALUE_STRING) throw HttpError.badRequest(field + ": expected a string, got " + describe(t));
        return p.getText();
    }

    private static void expectArray(JsonParser p, String field) {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw HttpError.badRequest(field + ": expected an array, got " + describe(p.currentToken()));
        }
    }

    private static HttpError missing(String at, String field) {
        return HttpError.badRequest(at + ": missing field '" + field + "'");
    }

    private static HttpError malformed(JsonProcessingException e) {
        var loc = e.getLocation();
        String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
        // Jackson names the source of a location as "[Source: REDACTED (...); line: 1, column: 11]": keep the place only.
        String message = SOURCE.matcher(oneLine(e.getOriginalMessage())).replaceAll("line $1, column $2");
        return HttpError.badRequest("malformed JSON" + where + ": " + message);
    }

    private static final Pattern SOURCE = Pattern.compile("\\[Source: .*?; line: (\\d+), column: (\\d+)]");

    /** "a string", "an object", "true", ... for messages about an unexpected token. */
    static String describe(JsonToken t) {
        if (t == null) return "the end of the input";
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case VALUE_NULL -> "null";
            default -> t.asString() == null ? t.name() : "'" + t.asString() + "'";
        };
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    // ---------------------------------------------------------------------------------------------- writing

    /** The inference response: {@code model_name}, {@code id} when the request had one, and the outputs. */
    static byte[] inferResponse(String modelName, String id, Map<String, Tensor> outputs) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("model_name", modelName);
            if (id != null) g.writeStringField("id", id);
            g.writeArrayFieldStart("outputs");
            for (var e : outputs.entrySet()) {
                Tensor t = e.getValue();
                g.writeStartObject();
                g.writeStringField("name", e.getKey());
                g.writeStringField("datatype", "FP32");
                writeShape(g, "shape", t.shape());
                g.writeFieldName("data");
                float[] d = t.data();
                g.writeStartArray(d, d.length);
                // Float (not double) formatting: the shortest text that reads back as exactly this float32.
                for (float v : d) g.writeNumber(v);
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    /** Model metadata; shapes carry -1 for the batch dimension. */
    static byte[] modelMetadata(String name, List<ValueInfo> inputs, List<ValueInfo> outputs) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("name", name);
            g.writeStringField("platform", "foldrt");
            writeTensorInfos(g, "inputs", inputs);
            writeTensorInfos(g, "outputs", outputs);
            g.writeEndObject();
        });
    }

    static byte[] serverMetadata(String version) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("name", "foldrt");
            g.writeStringField("version", version);
            g.writeArrayFieldStart("extensions");
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    static byte[] error(String message) {
        return write(g -> {
            g.writeStartObject();
            g.writeStringField("error", message);
            g.writeEndObject();
        });
    }

    private static void writeTensorInfos(JsonGenerator g, String field, List<ValueInfo> infos) throws IOException {
        g.writeArrayFieldStart(field);
        for (ValueInfo v : infos) {
            g.writeStartObject();
            g.writeStringField("name", v.name());
            g.writeStringField("datatype", "FP32");
            writeShape(g, "shape", v.shape()); // Shapes.BATCH is -1, the protocol's "any size"
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeShape(JsonGenerator g, String field, int[] shape) throws IOException {
        g.writeFieldName(field);
        g.writeArray(shape, 0, shape.length);
    }

    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // cannot happen writing to memory
        }
        return out.toByteArray();
    }
}
