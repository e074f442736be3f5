package io.foldrt.serve;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.BackendOpener;
import io.foldrt.runtime.Backends;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.Session;
import io.foldrt.runtime.SessionOptions;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real {@link InferenceServer} on a free loopback port, serving a model of the fake zoo on the reference "cpu"
 * backend, and an HTTP/1.1 client for it. Closing the fixture stops the server (and so the session).
 */
final class ServeFixture implements AutoCloseable {
    /** Decimals stay exact (BigDecimal) so that tests read floats with Float.parseFloat, not via a double. */
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    final FakeModelTools tools = new FakeModelTools();
    final ReferenceProvider cpu = new ReferenceProvider("cpu");
    final List<String> notices = new CopyOnWriteArrayList<>();
    /** The batch size of every forward pass, in order. */
    final List<Integer> passes = new CopyOnWriteArrayList<>();
    final String model;
    final Session session;
    final InferenceServer server;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    ServeFixture(String zooName, ServeConfig config) {
        this(zooName, config, 0);
    }

    /** @param passDelayMillis sleep inside every forward pass (stands in for a slow model or per-call overhead) */
    ServeFixture(String zooName, ServeConfig config, long passDelayMillis) {
        cpu.passDelayMillis = passDelayMillis;
        model = zooName;
        session = Model.load(zooName, tools).plan(PlanRequest.defaults()).model().session(Device.cpu(), sessionOptions());
        server = InferenceServer.start(config.withHost("127.0.0.1").withPort(0), zooName, session, notices::add);
    }

    /** Serves an already opened {@code session} (for example a real zoo model on the real CPU backend). */
    ServeFixture(String modelName, Session session, ServeConfig config) {
        model = modelName;
        this.session = session;
        server = InferenceServer.start(config.withHost("127.0.0.1").withPort(0), modelName, session, notices::add);
    }

    /** Defaults on a free port: no batching, a short drain so a failing test cannot hang on close. */
    static ServeConfig config() {
        return ServeConfig.defaults().withPort(0).withDrainTimeout(Duration.ofSeconds(10));
    }

    SessionOptions sessionOptions() {
        return SessionOptions.defaults().withOpener(recording(cpu, passes)).withNotices(notices::add);
    }

    /** Opens {@code cpu} and records the batch size of every forward pass run on it. */
    static BackendOpener recording(ReferenceProvider cpu, List<Integer> passes) {
        return (device, options, notices) -> {
            Backend inner = Backends.open(List.of(cpu), device, options, notices);
            return new Backend() {
                @Override
                public String name() {
                    return inner.name();
                }

                @Override
                public Executable compile(Graph graph, int batch) {
                    Executable e = inner.compile(graph, batch);
                    return new Executable() {
                        @Override
                        public int batch() {
                            return batch;
                        }

                        @Override
                        public Map<String, Tensor> run(Map<String, Tensor> inputs) {
                            passes.add(batch);
                            return e.run(inputs);
                        }

                        @Override
                        public void close() {
                            e.close();
                        }
                    };
                }

                @Override
                public void close() {
                    inner.close();
                }
            };
        };
    }

    URI uri(String path) {
        return server.uri().resolve(path);
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return client.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            client.close();
        }
    }

    // ------------------------------------------------------------------------------------------ JSON helpers

    /** An inference request with flat data; floats are written so that they read back exactly. */
    static String inferBody(String id, Map<String, Tensor> inputs, String... outputs) {
        StringBuilder sb = new StringBuilder("{");
        if (id != null) sb.append("\"id\":\"").append(id).append("\",");
        sb.append("\"inputs\":[");
        boolean first = true;
        for (var e : inputs.entrySet()) {
            if (!first) sb.append(',');
            first = false;
            sb.append("{\"name\":\"").append(e.getKey()).append("\",\"datatype\":\"FP32\",\"shape\":")
                    .append(InferValidator.str(e.getValue().shape())).append(",\"data\":[");
            float[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) sb.append(i > 0 ? "," : "").append(d[i]);
            sb.append("]}");
        }
        sb.append(']');
        if (outputs.length > 0) {
            sb.append(",\"outputs\":[");
            for (int i = 0; i < outputs.length; i++) sb.append(i > 0 ? "," : "").append("{\"name\":\"").append(outputs[i]).append("\"}");
            sb.append(']');
        }
        return sb.append('}').toString();
    }

    static JsonNode parse(String body) {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The named output of an inference response, with its shape. */
    static Tensor output(JsonNode response, String name) {
        for (JsonNode o : response.get("outputs")) {
            if (!o.get("name").asText().equals(name)) continue;
            int[] shape = new int[o.get("shape").size()];
            for (int i = 0; i < shape.length; i++) shape[i] = o.get("shape").get(i).asInt();
            float[] data = new float[o.get("data").size()];
            for (int i = 0; i < data.length; i++) data[i] = Float.parseFloat(o.get("data").get(i).numberValue().toString());
            return new Tensor(shape, data);
        }
        throw new AssertionError("no output '" + name + "' in " + response);
    }
}
