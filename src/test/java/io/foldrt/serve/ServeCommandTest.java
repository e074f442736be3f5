package io.foldrt.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.cli.CliContext;
import io.foldrt.cli.Main;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code foldrt serve} run in-process through {@link Main#run}: startup line, options, errors, stop on interrupt. */
class ServeCommandTest {
    private static final Pattern SERVING = Pattern.compile("serving (\\S+) on (http://127\\.0\\.0\\.1:\\d+) \\(reference cpu\\)");

    @TempDir
    Path dir;
    private final FakeModelTools tools = new FakeModelTools();
    private final ReferenceProvider cpu = new ReferenceProvider("cpu");
    private final CliContext ctx = new CliContext(tools, ServeFixture.recording(cpu, new ArrayList<>()));

    /** Text written to a stream, readable while the command still runs. */
    private static final class Capture extends OutputStream {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) {
            bytes.write(b);
            notifyAll();
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            bytes.write(b, off, len);
            notifyAll();
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        /** Waits until a whole line matching {@code p} has been written. */
        synchronized Matcher await(Pattern p) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {
                for (String line : text().split("\n")) {
                    Matcher m = p.matcher(line);
                    if (text().contains(line + "\n") && m.matches()) return m;
                }
                long left = end - System.nanoTime();
                if (left <= 0) throw new AssertionError("no line matching " + p + " in: " + text());
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }

    /** A running {@code foldrt serve}: its thread, streams and exit code. */
    private record Running(Thread thread, Capture out, Capture err, CompletableFuture<Integer> code) {
        int stop() throws Exception {
            thread.interrupt();
            try {
                return code.get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                StringBuilder sb = new StringBuilder("did not stop; stderr: " + err.text() + "\n");
                for (var t : Thread.getAllStackTraces().entrySet()) {
                    if (!t.getKey().getName().startsWith("foldrt")) continue;
                    sb.append(t.getKey()).append('\n');
                    for (StackTraceElement el : t.getValue()) sb.append("  at ").append(el).append('\n');
                }
                throw new AssertionError(sb.toString(), e);
            }
        }
    }

    private Running start(String... args) {
        Capture out = new Capture(), err = new Capture();
        CompletableFuture<Integer> code = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("foldrt-serve-test").start(() -> code.complete(
                Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8), ctx)));
        return new Running(t, out, err, code);
    }

    /** Runs a command that is expected to fail before serving. */
    private List<String> fails(int expectedCode, String... args) throws Exception {
        Running r = start(args);
        int code = r.code().get(30, TimeUnit.SECONDS);
        assertEquals(expectedCode, code, r.err().text());
        assertEquals("", r.out().text());
        return List.of(r.err().text().split("\n"));
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        try (HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return c.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void servesUntilInterruptedThenClosesEverything() throws Exception {
        Running r = start("serve", "tiny_cnn", "--port", "0", "--device", "cpu", "--max-batch", "8", "--batch-window-ms", "3");
        Matcher m = r.out().await(SERVING);
        assertEquals("tiny_cnn", m.group(1));
        URI base = URI.create(m.group(2));
        assertEquals(200, get(base.resolve("/v2/models/tiny_cnn/ready")).statusCode());
        try (HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            HttpResponse<String> resp = c.send(HttpRequest.newBuilder(base.resolve("/v2/models/tiny_cnn/infer")).POST(
                    HttpRequest.BodyPublishers.ofString(ServeFixture.inferBody("a", Map.of("x", Tensor.zeros(2, 3, 8, 8))))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, resp.statusCode(), resp.body());
        }
        assertEquals(0, r.stop());
        assertEquals(List.of("foldrt: BatchNorm folded (0 folded, 0 kept), batching up to 8 rows within 3 ms, queue 64,"
                        + " body limit 67108864 bytes", "foldrt: stopping: finishing in-flight requests", "foldrt: stopped"),
                List.of(r.err().text().split("\n")).stream().map(l -> l.replaceAll("\\(\\d+ folded", "(0 folded")).toList());
        assertEquals(1, r.out().text().split("\n").length, "stdout has the serving line only: " + r.out().text());
        assertEquals(List.of(PlanRequest.defaults().withProbe(false)), tools.planRequests);
        assertEquals(1, cpu.backendsClosed.get(), "the session was closed");
        assertEquals(cpu.compiles.get(), cpu.executablesClosed.get());
    }

    @Test
    void theNameIsTheFileStemUnlessGiven() throws Exception {
        Path model = Files.writeString(dir.resolve("resnet18.onnx"), "tiny_cnn"); // the fake importer's "ONNX"
        Running r = start("serve", model.toString(), "--port", "0", "--device", "cpu", "--no-fold");
        Matcher m = r.out().await(SERVING);
        assertEquals("resnet18", m.group(1));
        assertEquals(200, get(URI.create(m.group(2) + "/v2/models/resnet18")).statusCode());
        assertEquals(0, r.stop());
        assertTrue(r.err().text().startsWith("foldrt: BatchNorm separate, no batching"), r.err().text());
        assertEquals(List.of(PlanRequest.unfolded().withProbe(false)), tools.planRequests);

        r = start("serve", model.toString(), "--port", "0", "--device", "cpu", "--name", "classifier");
        m = r.out().await(SERVING);
        assertEquals("classifier", m.group(1));
        assertEquals(404, get(URI.create(m.group(2) + "/v2/models/resnet18")).statusCode());
        assertEquals(200, get(URI.create(m.group(2) + "/v2/models/classifier")).statusCode());
        assertEquals(0, r.stop());
    }

    @Test
    void badOptionsAreOneLineWithExitCode2() throws Exception {
        String help = " (see 'foldrt serve --help')";
        assertEquals(List.of("foldrt: --port must be 0..65535, got 70000" + help), fails(2, "serve", "tiny_cnn", "--port", "70000"));
        assertEquals(List.of("foldrt: --max-batch must be at least 1, got 0" + help), fails(2, "serve", "tiny_cnn", "--max-batch", "0"));
        assertEquals(List.of("foldrt: --batch-window-ms must be at least 0, got -1" + help),
                fails(2, "serve", "tiny_cnn", "--batch-window-ms", "-1"));
        assertEquals(List.of("foldrt: --max-queue must be at least 1, got 0" + help), fails(2, "serve", "tiny_cnn", "--max-queue", "0"));
        assertEquals(List.of("foldrt: --max-body-bytes must be at least 1, got 0" + help),
                fails(2, "serve", "tiny_cnn", "--max-body-bytes", "0"));
        assertEquals(List.of("foldrt: --name must be non-empty and without '/', got 'a/b'" + help),
                fails(2, "serve", "tiny_cnn", "--name", "a/b"));
        assertEquals(List.of("foldrt: unknown model 'resnet19': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)"),
                fails(2, "serve", "resnet19"));
        assertEquals(0, cpu.opens.get(), "no backend was opened for bad options");
    }

    @Test
    void aPortInUseIsExitCode2AndClosesTheSession() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertEquals(List.of("foldrt: cannot listen on 127.0.0.1:" + port + ": Address already in use"),
                    fails(2, "serve", "tiny_cnn", "--device", "cpu", "--port", String.valueOf(port)));
        }
        assertEquals(1, cpu.opens.get());
        assertEquals(1, cpu.backendsClosed.get());
    }

    @Test
    void helpListsTheOptions() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"serve", "--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), ctx);
        assertEquals(0, code);
        String help = out.toString(StandardCharsets.UTF_8);
        for (String option : new String[] {"--host", "--port", "--device", "--name", "--no-fold", "--max-batch",
                "--batch-window-ms", "--max-queue", "--max-body-bytes", "--backend-option"}) {
            assertTrue(help.contains(option), option + " in:\n" + help);
        }
    }

}
