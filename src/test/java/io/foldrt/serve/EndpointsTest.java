package io.foldrt.serve;

import static io.foldrt.serve.ServeFixture.inferBody;
import static io.foldrt.serve.ServeFixture.output;
import static io.foldrt.serve.ServeFixture.parse;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.foldrt.cli.CliContext;
import io.foldrt.cli.Main;
import io.foldrt.io.Npy;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.Backends;
import io.foldrt.testing.ReferenceProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every endpoint of the protocol against a real server on a loopback port. */
class EndpointsTest {
    private static ServeFixture tiny;
    private static ServeFixture two;

    @BeforeAll
    static void start() {
        tiny = new ServeFixture("tiny_cnn", ServeFixture.config());
        two = new ServeFixture("two_inputs", ServeFixture.config());
    }

    @AfterAll
    static void stop() {
        if (tiny != null) tiny.close();
        if (two != null) two.close();
    }

    private static void assertJson(HttpResponse<String> r, int status) {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""));
    }

    @Test
    void listensOnLoopbackOnTheChosenFreePort() {
        assertEquals("127.0.0.1", tiny.server.address().getAddress().getHostAddress());
        assertTrue(tiny.server.address().getPort() > 0);
        assertEquals("http://127.0.0.1:" + tiny.server.address().getPort(), tiny.server.uri().toString());
        assertEquals(List.of("tiny_cnn"), tiny.server.modelNames());
    }

    @Test
    void serverMetadata() {
        HttpResponse<String> r = tiny.get("/v2");
        assertJson(r, 200);
        assertEquals("{\"name\":\"foldrt\",\"version\":\"development build\",\"extensions\":[]}", r.body());
    }

    @Test
    void healthIsTheStatusAlone() {
        for (String path : new String[] {"/v2/health/live", "/v2/health/ready", "/v2/models/tiny_cnn/ready"}) {
            HttpResponse<String> r = tiny.get(path);
            assertEquals(200, r.statusCode(), path);
            assertEquals("", r.body(), path);
        }
    }

    @Test
    void modelMetadataShowsTheBatchDimensionAsMinusOne() {
        HttpResponse<String> r = tiny.get("/v2/models/tiny_cnn");
        assertJson(r, 200);
        assertEquals("{\"name\":\"tiny_cnn\",\"platform\":\"foldrt\","
                + "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,3,8,8]}],"
                + "\"outputs\":[{\"name\":\"fc1_out\",\"datatype\":\"FP32\",\"shape\":[-1,5]}]}", r.body());
        assertEquals("{\"name\":\"two_inputs\",\"platform\":\"foldrt\","
                        + "\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[-1,4]},{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[-1,4]}],"
                        + "\"outputs\":[{\"name\":\"fc1_out\",\"datatype\":\"FP32\",\"shape\":[-1,3]},{\"name\":\"relu1_out\",\"datatype\":\"FP32\",\"shape\":[-1,4]}]}",
                two.get("/v2/models/two_inputs").body());
    }

    @Test
    void inferEqualsTheSameSessionRunDirectly() {
        Tensor x = Tensor.random(new SplittableRandom(11), -2f, 2f, 3, 3, 8, 8);
        HttpResponse<String> r = tiny.post("/v2/models/tiny_cnn/infer", inferBody("req-1", Map.of("x", x)));
        assertJson(r, 200);
        JsonNode body = parse(r.body());
        assertEquals("tiny_cnn", body.get("model_name").asText());
        assertEquals("req-1", body.get("id").asText());
        assertEquals(1, body.get("outputs").size());
        assertEquals("FP32", body.get("outputs").get(0).get("datatype").asText());
        Tensor direct = tiny.session.run(Map.of("x", x)).get("fc1_out");
        assertEquals(direct, output(body, "fc1_out"), "bit-identical to Session.run, shape [3,5] included");
    }

    @Test
    void nestedDataGivesTheSameAnswerAsFlatAndNoIdIsEchoedWhenNoneIsSent() {
        Tensor a = Tensor.random(new SplittableRandom(1), -1f, 1f, 2, 4), b = Tensor.random(new SplittableRandom(2), -1f, 1f, 2, 4);
        StringBuilder nested = new StringBuilder("{\"inputs\":[");
        for (var e : List.of(Map.entry("a", a), Map.entry("b", b))) {
            float[] d = e.getValue().data();
            nested.append(e.getKey().equals("a") ? "" : ",").append("{\"name\":\"").append(e.getKey())
                    .append("\",\"datatype\":\"FP32\",\"shape\":[2,4],\"data\":[[");
            for (int i = 0; i < 8; i++) nested.append(i == 0 ? "" : i == 4 ? "],[" : ",").append(d[i]);
            nested.append("]]}");
        }
        nested.append("]}");
        JsonNode viaNested = parse(two.post("/v2/models/two_inputs/infer", nested.toString()).body());
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("b", b); // input order in the request does not matter
        in.put("a", a);
        JsonNode viaFlat = parse(two.post("/v2/models/two_inputs/infer", inferBody(null, in)).body());
        assertEquals(viaFlat, viaNested);
        assertFalse(viaFlat.has("id"));
        Map<String, Tensor> direct = two.session.run(Map.of("a", a, "b", b));
        assertEquals(direct.get("fc1_out"), output(viaFlat, "fc1_out"));
        assertEquals(direct.get("relu1_out"), output(viaFlat, "relu1_out"));
        assertEquals("fc1_out", viaFlat.get("outputs").get(0).get("name").asText(), "all outputs, in model order");
    }

    @Test
    void requestedOutputsOnlyInTheRequestedOrder() {
        Tensor a = Tensor.random(new SplittableRandom(3), -1f, 1f, 1, 4), b = Tensor.random(new SplittableRandom(4), -1f, 1f, 1, 4);
        JsonNode r = parse(two.post("/v2/models/two_inputs/infer", inferBody("o", Map.of("a", a, "b", b), "relu1_out")).body());
        assertEquals(1, r.get("outputs").size());
        assertEquals(two.session.run(Map.of("a", a, "b", b)).get("relu1_out"), output(r, "relu1_out"));
        r = parse(two.post("/v2/models/two_inputs/infer", inferBody("o", Map.of("a", a, "b", b), "relu1_out", "fc1_out")).body());
        assertEquals("relu1_out", r.get("outputs").get(0).get("name").asText());
        assertEquals("fc1_out", r.get("outputs").get(1).get("name").asText());
    }

    @Test
    void inferEqualsFoldrtRunOnTheSameNpy(@TempDir Path dir) {
        Tensor x = Tensor.random(new SplittableRandom(21), -1f, 1f, 2, 3, 8, 8);
        Path in = dir.resolve("x.npy"), out = dir.resolve("y.npy");
        Npy.write(in, x);
        ReferenceProvider cliCpu = new ReferenceProvider("cpu");
        CliContext ctx = new CliContext(tiny.tools, (d, o, n) -> Backends.open(List.of(cliCpu), d, o, n));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"run", "tiny_cnn", "--device", "cpu", "-i", in.toString(), "-o", out.toString()},
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), ctx);
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        JsonNode r = parse(tiny.post("/v2/models/tiny_cnn/infer", inferBody(null, Map.of("x", Npy.read(in)))).body());
        assertEquals(Npy.read(out), output(r, "fc1_out"));
    }

    @Test
    void integersAndExponentsAreNumbersToo() {
        String body = "{\"inputs\":[{\"name\":\"a\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,-2,3e0,4.0E-1]},"
                + "{\"name\":\"b\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[0,0,0,0]}],\"outputs\":[{\"name\":\"relu1_out\"}]}";
        JsonNode r = parse(two.post("/v2/models/two_inputs/infer", body).body());
        assertArrayEquals(new float[] {1f, 0f, 3f, 0.4f}, output(r, "relu1_out").data());
    }
}
