package io.foldrt.serve;

import static io.foldrt.serve.ServeFixture.inferBody;
import static io.foldrt.serve.ServeFixture.output;
import static io.foldrt.serve.ServeFixture.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Tensor;
import io.foldrt.testing.TestModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Back-pressure and graceful stop: 503 at once when the queue is full; close and SIGTERM finish in-flight work. */
class ShutdownTest {
    private static String body(long seed) {
        return inferBody("r" + seed, Map.of("x", Tensor.random(new SplittableRandom(seed), -1f, 1f, 1, 3, 8, 8)));
    }

    private static CompletableFuture<HttpResponse<String>> postAsync(ServeFixture f, String body) {
        return f.client.sendAsync(HttpRequest.newBuilder(f.uri("/v2/models/tiny_cnn/infer"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(2);
        }
    }

    @Test
    void aFullQueueIs503AtOnce() throws Exception {
        try (ServeFixture f = new ServeFixture("tiny_cnn", ServeFixture.config().withMaxQueue(1), 400)) {
            var running = postAsync(f, body(1));
            await("the first request runs", () -> f.cpu.runs.get() == 1);
            var queued = postAsync(f, body(2));
            await("the second request is queued", () -> f.server.queued("tiny_cnn") == 1);
            long t0 = System.nanoTime();
            HttpResponse<String> refused = f.post("/v2/models/tiny_cnn/infer", body(3));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertEquals(503, refused.statusCode());
            assertEquals("{\"error\":\"server busy: 1 requests are already queued for model 'tiny_cnn'; retry later\"}", refused.body());
            assertEquals("1", refused.headers().firstValue("Retry-After").orElse(""));
            assertTrue(ms < 300, "refused in " + ms + " ms, without waiting for the 400 ms passes");
            assertEquals(200, running.get(15, TimeUnit.SECONDS).statusCode());
            assertEquals(200, queued.get(15, TimeUnit.SECONDS).statusCode());
            assertEquals(2, f.cpu.runs.get());
        }
    }

    @Test
    void closeFinishesRunningAndQueuedRequestsRefusesNewOnesThenClosesTheSession() throws Exception {
        ServeFixture f = new ServeFixture("tiny_cnn", ServeFixture.config(), 300);
        try (HttpClient keptAlive = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpRequest ready = HttpRequest.newBuilder(f.uri("/v2/health/ready")).build();
            assertEquals(200, keptAlive.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode()); // opens a connection
            var running = postAsync(f, body(1));
            await("the first request runs", () -> f.cpu.runs.get() == 1);
            var queued = postAsync(f, body(2));
            await("the second request is queued", () -> f.server.queued("tiny_cnn") == 1);

            long t0 = System.nanoTime();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(f.server::close);
            await("close has begun", f.server::draining);
            // The listener is closed; a request on the kept-alive connection is answered, and refused.
            HttpResponse<String> refused = keptAlive.send(ready, HttpResponse.BodyHandlers.ofString());
            assertEquals(503, refused.statusCode());
            assertEquals("{\"error\":\"the server is shutting down\"}", refused.body());
            assertEquals("close", refused.headers().firstValue("Connection").orElse(""));
            closing.get(15, TimeUnit.SECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

            for (var r : List.of(running, queued)) {
                HttpResponse<String> resp = r.get(5, TimeUnit.SECONDS);
                assertEquals(200, resp.statusCode(), resp.body());
            }
            Tensor x2 = Tensor.random(new SplittableRandom(2), -1f, 1f, 1, 3, 8, 8);
            double[] want = ReferenceInterpreter.run(TestModels.tinyCnn(), Map.of("x", x2)).get("fc1_out").data();
            float[] got = output(parse(queued.get().body()), "fc1_out").data();
            for (int i = 0; i < want.length; i++) assertEquals((float) want[i], got[i]);
            assertTrue(ms >= 250 && ms < 5000, "close waited for the remaining passes only: " + ms + " ms");
            assertTrue(f.server.isClosed());
            assertEquals(1, f.cpu.backendsClosed.get(), "the session (and its backend) was closed");
            assertEquals(f.cpu.compiles.get(), f.cpu.executablesClosed.get());
            assertEquals(0, f.cpu.closedDuringPass.get());
            var after = f.client.sendAsync(HttpRequest.newBuilder(f.uri("/v2/health/live")).build(), HttpResponse.BodyHandlers.ofString());
            Exception e = assertThrows(Exception.class, () -> after.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof IOException, "no longer accepting: " + e);
            f.server.close(); // idempotent
        } finally {
            f.close();
        }
    }

    @Test
    void aPortInUseIsAOneLineErrorAndTheSessionIsClosed() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            var cpu = new io.foldrt.testing.ReferenceProvider("cpu");
            var session = io.foldrt.runtime.Model.of("tiny_cnn", TestModels.tinyCnn(), new io.foldrt.testing.FakeModelTools())
                    .session(io.foldrt.runtime.Device.cpu(), io.foldrt.runtime.SessionOptions.defaults()
                            .withOpener(ServeFixture.recording(cpu, new java.util.ArrayList<>())));
            ServeConfig c = ServeFixture.config().withHost("127.0.0.1").withPort(taken.getLocalPort());
            UncheckedIOException e = assertThrows(UncheckedIOException.class,
                    () -> InferenceServer.start(c, "tiny_cnn", session, m -> {}));
            assertEquals("cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": Address already in use", e.getMessage());
            assertEquals(1, cpu.backendsClosed.get());
        }
    }

    @Test
    void sigtermFinishesTheInFlightRequestThenExits() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "-DpassDelayMillis=1000",
                ServeProcessMain.class.getName(), "serve", "tiny_cnn", "--port", "0", "--device", "cpu")
                .directory(Path.of(".").toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
             BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8));
             HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            String serving = CompletableFuture.supplyAsync(() -> readLine(out)).get(60, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("serving tiny_cnn on (http://127\\.0\\.0\\.1:\\d+) \\(reference cpu\\)").matcher(String.valueOf(serving));
            assertTrue(m.matches(), "first stdout line: " + serving);
            URI base = URI.create(m.group(1));
            var response = client.sendAsync(HttpRequest.newBuilder(base.resolve("/v2/models/tiny_cnn/infer"))
                    .POST(HttpRequest.BodyPublishers.ofString(body(5))).build(), HttpResponse.BodyHandlers.ofString());
            StringBuffer log = new StringBuffer();
            CompletableFuture<Void> passStarted = new CompletableFuture<>();
            Thread stderr = Thread.ofPlatform().daemon().start(() -> { // drains stderr for the whole run
                String line;
                while ((line = readLine(err)) != null) {
                    log.append(line).append('\n');
                    if (line.equals("test: pass started")) passStarted.complete(null);
                }
            });
            passStarted.get(30, TimeUnit.SECONDS);

            // SIGTERM; through the handle, because Process.destroy() would also close our ends of its pipes.
            p.toHandle().destroy(); // the request is in its 1 s pass now
            HttpResponse<String> r = response.get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            Tensor x5 = Tensor.random(new SplittableRandom(5), -1f, 1f, 1, 3, 8, 8);
            double[] want = ReferenceInterpreter.run(TestModels.tinyCnn(), Map.of("x", x5)).get("fc1_out").data();
            float[] got = output(parse(r.body()), "fc1_out").data();
            for (int i = 0; i < want.length; i++) assertEquals((float) want[i], got[i]);
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server exited");
            assertEquals(143, p.exitValue(), "terminated by SIGTERM after the shutdown hook finished");
            stderr.join(10_000);
            assertTrue(log.toString().contains("foldrt: stopping: finishing in-flight requests"), log.toString());
            var after = client.sendAsync(HttpRequest.newBuilder(base.resolve("/v2/health/live")).build(), HttpResponse.BodyHandlers.ofString());
            Exception e = assertThrows(Exception.class, () -> after.get(5, TimeUnit.SECONDS));
            assertTrue(e.getCause() instanceof ConnectException, String.valueOf(e));
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String readLine(BufferedReader r) {
        try {
            return r.readLine();
        } catch (IOException e) {
            return null; // the child's stream is gone: same as its end
        }
    }
}
