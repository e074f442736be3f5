package io.foldrt.serve;

import static io.foldrt.serve.ServeFixture.inferBody;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.Session;
import io.foldrt.runtime.SessionOptions;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.TestModels;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kind of bad request gets the right status and a one-line {@code {"error": ...}} naming the field, never
 * runs the model, and leaves the server serving.
 */
class BadInputTest {
    private static final String INFER = "/v2/models/two_inputs/infer";
    private static ServeFixture two;
    private static final String A = "{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}";
    private static final String B = "{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}";

    @BeforeAll
    static void start() {
        two = new ServeFixture("two_inputs", ServeFixture.config().withMaxBodyBytes(4096));
    }

    @AfterAll
    static void stop() {
        if (two != null) two.close();
    }

    @AfterEach
    void modelNeverRanAndServerStillServes() {
        assertEquals(0, two.cpu.runs.get(), "a bad request must not reach the model");
        String ok = "{\"inputs\":[" + A + "," + B + "]}";
        assertEquals(200, two.post(INFER, ok).statusCode());
        two.cpu.runs.set(0);
    }

    /** Asserts status and the exact error message of a JSON error body. */
    private static void assertError(int status, String message, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
        JsonNode body = ServeFixture.parse(r.body());
        assertEquals(List.of("error"), iteratorToList(body.fieldNames()), r.body());
        assertEquals(message, body.get("error").asText());
        assertFalse(r.body().contains("\\n") || r.body().contains("\n") || r.body().contains("at io.foldrt"), r.body());
    }

    private static List<String> iteratorToList(Iterator<String> it) {
        List<String> l = new ArrayList<>();
        it.forEachRemaining(l::add);
        return l;
    }

    private static String with(String... inputs) {
        return "{\"inputs\":[" + String.join(",", inputs) + "]}";
    }

    @Test
    void unknownModelIs404() {
        String msg = "unknown model 'resnet19' (served: two_inputs)";
        assertError(404, msg, two.get("/v2/models/resnet19"));
        assertError(404, msg, two.get("/v2/models/resnet19/ready"));
        assertError(404, msg, two.post("/v2/models/resnet19/infer", with(A, B)));
    }

    @Test
    void unknownPathIs404() {
        String endpoints = " (endpoints: /v2, /v2/health/live, /v2/health/ready, /v2/models/{name}, /v2/models/{name}/ready,"
                + " /v2/models/{name}/infer)";
        for (String path : new String[] {"/", "/v1/models/two_inputs", "/v2/models", "/v2/health", "/v2/health/live/",
                "/v2/models/two_inputs/explain", "/v2/models/two_inputs/versions/1/infer", "/v2//health/live"}) {
            assertError(404, "no such endpoint: " + path + endpoints, two.get(path));
        }
    }

    @Test
    void wrongMethodIs405WithAllow() {
        HttpResponse<String> r = two.get(INFER);
        assertError(405, "method GET is not allowed on " + INFER + " (allowed: POST)", r);
        assertEquals("POST", r.headers().firstValue("Allow").orElse(""));
        r = two.post("/v2/health/ready", "");
        assertError(405, "method POST is not allowed on /v2/health/ready (allowed: GET)", r);
        assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
        r = two.send(HttpRequest.newBuilder(two.uri("/v2/models/two_inputs")).DELETE());
        assertError(405, "method DELETE is not allowed on /v2/models/two_inputs (allowed: GET)", r);
        assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void malformedJsonIs400() {
        assertError(400, "malformed JSON at line 1, column 14: Unrecognized token 'x': was expecting"
                + " (JSON String, Number (or 'NaN'/'+INF'/'-INF'), Array, Object or token 'null', 'true' or 'false')",
                two.post(INFER, "{\"inputs\": x}"));
        assertError(400, "request body is empty; expected a JSON object", two.post(INFER, ""));
    }

    @Test
    void missingFieldsAre400() {
        assertError(400, "missing field 'inputs'", two.post(INFER, "{}"));
        assertError(400, "inputs[1]: missing field 'data'",
                two.post(INFER, with(A, "{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[1,4]}")));
        assertError(400, "inputs: missing input 'b' (model inputs: a[-1,4], b[-1,4])", two.post(INFER, with(A)));
    }

    @Test
    void wrongDatatypeIs400() {
        assertError(400, "inputs[1].datatype: 'INT64' is not supported; input 'b' is FP32",
                two.post(INFER, with(A, B.replace("FP32", "INT64"))));
    }

    @Test
    void wrongShapeIs400() {
        assertError(400, "inputs[0].shape: [1,5] does not fit input 'a' [-1,4] (-1 = any batch size >= 1)",
                two.post(INFER, with(A.replace("[1,4]", "[1,5]"), B)));
        assertError(400, "inputs[0].shape: [4] does not fit input 'a' [-1,4] (-1 = any batch size >= 1)",
                two.post(INFER, with(A.replace("[1,4]", "[4]"), B)));
        assertError(400, "inputs[0].shape: [0,4] does not fit input 'a' [-1,4] (-1 = any batch size >= 1)",
                two.post(INFER, with(A.replace("[1,4]", "[0,4]").replace("[1,2,3,4]", "[]"), B)));
        assertError(400, "inputs[1].shape: batch size 2 differs from batch size 1 of input 'a'",
                two.post(INFER, with(A, B.replace("[1,4]", "[2,4]").replace("[1,2,3,4]", "[1,2,3,4,5,6,7,8]"))));
    }

    @Test
    void dataNotMatchingTheShapeIs400() {
        assertError(400, "inputs[0].data: has 3 values but shape [1,4] needs 4",
                two.post(INFER, with(A.replace("[1,2,3,4]", "[1,2,3]"), B)));
        assertError(400, "inputs[1].data: nested as [2,2] but the shape is [1,4]; send the values flat or nested exactly as the shape",
                two.post(INFER, with(A, B.replace("[1,2,3,4]", "[[1,2],[3,4]]"))));
        assertError(400, "inputs[0].data: value 2 (row-major) must be a number, got a string",
                two.post(INFER, with(A.replace("[1,2,3,4]", "[1,2,\"3\",4]"), B)));
    }

    @Test
    void nonFiniteNumbersAre400() {
        assertError(400, "inputs[1].data: value 3 (row-major) is NaN; inputs must be finite FP32 numbers",
                two.post(INFER, with(A, B.replace("[1,2,3,4]", "[1,2,3,NaN]"))));
        assertError(400, "inputs[0].data: value 0 (row-major) is -Infinity; inputs must be finite FP32 numbers",
                two.post(INFER, with(A.replace("[1,2,3,4]", "[-Infinity,2,3,4]"), B)));
        assertError(400, "inputs[0].data: value 1 (row-major) is 3.5e38 (beyond the FP32 range); inputs must be finite FP32 numbers",
                two.post(INFER, with(A.replace("[1,2,3,4]", "[1,3.5e38,3,4]"), B)));
    }

    @Test
    void unknownOrRepeatedNamesAre400() {
        assertError(400, "inputs[1].name: unknown input 'c' (model inputs: a[-1,4], b[-1,4])",
                two.post(INFER, with(A, B.replace("\"b\"", "\"c\""))));
        assertError(400, "inputs[1].name: input 'a' is given twice", two.post(INFER, with(A, A, B)));
        assertError(400, "outputs[0].name: unknown output 'logits' (model outputs: fc1_out[-1,3], relu1_out[-1,4])",
                two.post(INFER, inferBody(null, Map.of("a", Tensor.zeros(1, 4), "b", Tensor.zeros(1, 4)), "logits")));
        assertError(400, "id: expected a string, got a number", two.post(INFER, "{\"id\":7,\"inputs\":[" + A + "," + B + "]}"));
    }

    @Test
    void binaryTensorExtensionIsRefusedClearly() {
        assertError(400, "the binary tensor data extension is not supported; send the tensors as JSON",
                two.send(HttpRequest.newBuilder(two.uri(INFER)).header("Inference-Header-Content-Length", "10")
                        .POST(HttpRequest.BodyPublishers.ofString(with(A, B)))));
    }

    @Test
    void tooLargeBodyIs413WithOrWithoutContentLength() {
        String big = with(A, B.replace("[1,2,3,4]", "[1,2,3,4" + ",0".repeat(3000) + "]"));
        String msg = "request body is larger than the limit of 4096 bytes";
        assertError(413, msg, two.post(INFER, big)); // Content-Length says so: refused before reading
        byte[] bytes = big.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpResponse<String> chunked = two.send(HttpRequest.newBuilder(two.uri(INFER))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))));
        assertError(413, msg, chunked); // no Content-Length: counted while parsing
    }

    @Test
    void internalErrorsAre500WithoutAStackTrace() {
        AtomicInteger closed = new AtomicInteger();
        Backend failing = new Backend() {
            @Override
            public String name() {
                return "failing";
            }

            @Override
            public Executable compile(Graph graph, int batch) {
                return new Executable() {
                    @Override
                    public int batch() {
                        return batch;
                    }

                    @Override
                    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
                        throw new IllegalStateException("device lost\nsecond line");
                    }

                    @Override
                    public void close() {}
                };
            }

            @Override
            public void close() {
                closed.incrementAndGet();
            }
        };
        Graph g = TestModels.twoInputs();
        Session s = Model.of("broken", g, new FakeModelTools()).session(Device.cpu(), SessionOptions.defaults().withOpener((d, o, n) -> failing));
        List<String> notices = new ArrayList<>();
        try (InferenceServer server = InferenceServer.start(ServeFixture.config(), "broken", s, notices::add);
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(server.uri().resolve("/v2/models/broken/infer"))
                    .POST(HttpRequest.BodyPublishers.ofString(with(A, B))).build(), HttpResponse.BodyHandlers.ofString());
            assertError(500, "internal error: IllegalStateException: device lost second line", r);
            assertEquals(List.of("internal error on POST /v2/models/broken/infer: IllegalStateException: device lost second line"),
                    notices);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        assertEquals(1, closed.get(), "the server closed the session and so its backend");
    }
}
