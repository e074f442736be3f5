package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.backend.cpu.CpuBackendProvider;
import io.foldrt.ir.Graph;
import io.foldrt.peer.PeerFinder;
import io.foldrt.runtime.Backends;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.testing.FakePeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {
    @TempDir
    Path dir;
    private final CliHarness cli = new CliHarness();

    @Test
    void timesBothSidesInAlternatingRoundsAndWritesJson() throws IOException {
        Path json = dir.resolve("bench.json");
        CliHarness.Result r = cli.run("bench", "--model", "tiny_cnn", "--batch", "2", "--iters", "5", "--warmup", "2",
                "--rounds", "2", "--json", json.toString());
        assertEquals(0, r.code(), r.err());

        // Per side: 1 output check + round 1 (2 warm-up + 3 timed) + round 2 (1 re-warm + 2 timed) = 9 passes.
        assertEquals(18, cli.cpu.runs.get());
        assertEquals(2, cli.cpu.compiles.get());
        assertEquals(2, cli.cpu.executablesClosed.get());
        assertEquals(1, cli.cpu.backendsClosed.get(), "one backend for both sides");
        assertEquals(List.of(PlanRequest.unfolded(), PlanRequest.defaults()), cli.tools.planRequests);

        List<String> err = r.errLines();
        assertEquals("foldrt: cuda unavailable (libcuda.so.1 not found): using cpu", err.get(0));
        assertEquals("  bench tiny_cnn on reference cpu: batch 2, 2 warm-up and 5 timed passes per side in 2 rounds", err.get(1));
        assertTrue(err.get(2).matches("  round 1/2: separate \\d+\\.\\d{3} ms, folded \\d+\\.\\d{3} ms \\(medians\\)"), err.get(2));
        assertTrue(err.get(3).startsWith("  round 2/2: separate "), err.get(3));

        List<String> out = List.of(r.out().split("\n"));
        assertEquals("tiny_cnn, batch 2, on reference cpu (5 timed passes per side)", out.get(0));
        assertTrue(out.get(2).startsWith("separate BN "), out.get(2));
        assertTrue(out.get(3).startsWith("folded "), out.get(3));
        assertTrue(out.get(4).matches("speedup        \\d+\\.\\d\\dx \\(median separate / median folded\\), 95% CI "
                + "\\d+\\.\\d\\d-\\d+\\.\\d\\d"), out.get(4));
        assertEquals("fold           1 BatchNorm folded, 0 kept; parameters 153 -> 137; 0.750 ms on fake engine", out.get(5));
        assertEquals("max error      2.5e-07 abs, 1.0e-06 rel (planner probe); outputs on the bench input differ from "
                + "separate by folded 0.0e+00", out.get(6));
        assertEquals("wrote " + json, out.get(7));

        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals("foldrt-bench/2", j.get("format").asText());
        for (String key : List.of("cpu", "cores", "java", "os", "load_average", "date", "command", "commit")) {
            assertTrue(j.get("machine").hasNonNull(key), key);
        }
        if (System.getenv("FOLDRT_COMMAND") == null) {
            assertEquals("foldrt bench --model tiny_cnn --batch 2 --iters 5 --warmup 2 --rounds 2 --json " + json,
                    j.get("machine").get("command").asText());
        }
        assertEquals(5, j.get("config").get("iters").asInt());
        assertEquals(2, j.get("config").get("rounds").asInt());
        assertTrue(j.get("config").get("ci").get("method").asText().contains("paired"));
        JsonNode res = j.get("results").get(0);
        assertEquals("tiny_cnn", res.get("model").asText());
        assertEquals(2, res.get("batch").asInt());
        JsonNode sep = res.get("sides").get(0), fold = res.get("sides").get(1);
        assertEquals("separate", sep.get("name").asText());
        assertEquals("folded", fold.get("name").asText());
        assertEquals(5, sep.get("samples").asInt());
        assertEquals(5, sep.get("samples_ms").size());
        assertEquals(1, sep.get("trial_medians_ms").size());
        double speedup = sep.get("median_ms").asDouble() / fold.get("median_ms").asDouble();
        JsonNode sp = res.get("speedup");
        assertEquals(speedup, sp.get("value").asDouble(), 1e-12);
        assertTrue(sp.get("ci_low").asDouble() <= speedup && speedup <= sp.get("ci_high").asDouble(), sp.toString());
        assertTrue(fold.get("p99_ms").asDouble() >= fold.get("median_ms").asDouble());
        assertEquals(2.5e-7, res.get("fold").get("max_abs_error").asDouble());
        assertEquals(1, res.get("fold").get("report").get("folded").asInt(), "the planner's JSON report is embedded");
        assertEquals(0.0, res.get("output_max_abs_diff").get("folded").asDouble());
        assertFalse(res.has("layers"));
    }

    @Test
    void positionalModelAndMoreRoundsThanIters() {
        CliHarness.Result r = cli.run("bench", "tiny_cnn", "--iters", "2", "--warmup", "0", "--rounds", "10");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("0 warm-up and 2 timed passes per side in 2 rounds"), r.err());
        assertEquals(2 * (1 + 2), cli.cpu.runs.get());
    }

    @Test
    void severalModelsAndBatchSizesInOneRun() throws IOException {
        Path json = dir.resolve("sweep.json");
        CliHarness.Result r = cli.run("bench", "--model", "tiny_cnn,two_inputs", "--batch", "1,3", "--iters", "2",
                "--warmup", "0", "--rounds", "1", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode results = new ObjectMapper().readTree(json.toFile()).get("results");
        assertEquals(4, results.size());
        assertEquals(List.of("tiny_cnn/1", "tiny_cnn/3", "two_inputs/1", "two_inputs/3"),
                Stream.of(0, 1, 2, 3).map(i -> results.get(i).get("model").asText() + "/" + results.get(i).get("batch").asInt())
                        .toList());
        assertEquals(1, cli.cpu.backendsClosed.get(), "one backend for the whole run");
        assertEquals(8, cli.cpu.compiles.get());
        assertTrue(r.out().contains("summary (median ms; speedup = separate / folded, 95% CI)"), r.out());
        assertTrue(r.out().contains("  two_inputs         batch 3    separate "), r.out());
    }

    @Test
    void trialsCompileAfreshAndReportTheirMedians() throws IOException {
        Path json = dir.resolve("trials.json");
        CliHarness.Result r = cli.run("bench", "tiny_cnn", "--trials", "3", "--iters", "4", "--warmup", "1",
                "--rounds", "2", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(6, cli.cpu.compiles.get());
        assertEquals(6, cli.cpu.executablesClosed.get());
        JsonNode sep = new ObjectMapper().readTree(json.toFile()).get("results").get(0).get("sides").get(0);
        assertEquals(12, sep.get("samples_ms").size());
        assertEquals(3, sep.get("trial_medians_ms").size());
        assertTrue(r.err().contains("  trial 3/3 round 2/2: separate "), r.err());
        assertTrue(r.out().contains("trials         3; speedup of the trial medians ranges "), r.out());
        // The run-to-run spread of each side's median, from the same trial medians as in the JSON.
        double[] m = new double[3];
        for (int i = 0; i < 3; i++) m[i] = sep.get("trial_medians_ms").get(i).asDouble();
        double min = java.util.Arrays.stream(m).min().orElseThrow(), max = java.util.Arrays.stream(m).max().orElseThrow();
        String range = String.format(java.util.Locale.ROOT, "trial medians  separate %.3f-%.3f ms (spread %.1f%%); folded ",
                min, max, 100 * (max - min) / min);
        assertTrue(r.out().contains(range), range + " not in\n" + r.out());
    }

    @Test
    void layersShowWhereTheBatchNormTimeWentOnTheCpuBackend() throws IOException {
        CliContext ctx = new CliContext(cli.tools, (d, o, n) -> Backends.open(List.of(new CpuBackendProvider()), d, o, n));
        Path json = dir.resolve("layers.json");
        CliHarness.Result r = CliHarness.run(ctx, "bench", "tiny_cnn", "--device", "cpu", "--layers", "--iters", "3",
                "--warmup", "1", "--rounds", "1", "-O", "cpu.threads=1", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("by operator            separate     folded     change"), r.out());
        assertTrue(r.out().contains("  BatchNormalization "), r.out());
        JsonNode layers = new ObjectMapper().readTree(json.toFile()).get("results").get(0).get("layers");
        JsonNode bn = null;
        for (JsonNode t : layers.get("by_type")) if (t.get("op").asText().equals("BatchNormalization")) bn = t;
        assertTrue(bn != null && bn.get("separate_ms").asDouble() > 0, layers.toString());
        // The fake planner does not fold, so here both sides keep the BatchNorm; the real planner's folded side has none.
        assertTrue(layers.get("separate_nodes").size() >= 3, layers.toString());
    }

    @Test
    void layersOnABackendThatCannotProfileSaySo() {
        CliHarness.Result r = cli.run("bench", "tiny_cnn", "--layers", "--iters", "1", "--warmup", "0");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("per-layer times: reference cpu cannot report them; skipped"), r.err());
    }

    @Test
    void peersRunTheSameExportedOnnxFileWithTheSameThreadCount() throws IOException {
        FakePeer peer = new FakePeer(new io.foldrt.testing.FakeModelTools());
        CliContext ctx = new CliContext(cli.tools,
                (d, o, n) -> Backends.open(List.of(new CpuBackendProvider()), d, o, n),
                name -> name.equals("fake") ? peer : PeerFinder.installed().find(name));
        Path json = dir.resolve("peers.json"), md = dir.resolve("peers.md");
        CliHarness.Result r = CliHarness.run(ctx, "bench", "tiny_cnn", "--peers", "fake", "--iters", "4", "--warmup", "1",
                "--rounds", "2", "-O", "cpu.threads=2", "--json", json.toString(), "--markdown", md.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(2, peer.opened.size());
        for (FakePeer.Opened o : peer.opened) {
            assertEquals(2, o.threads(), "peers get FoldRT's thread count");
            assertTrue(o.fileExisted());
            assertEquals("tiny_cnn.onnx", o.file().getFileName().toString());
        }
        assertEquals(List.of(peer.opened.getFirst().file()), cli.tools.imported, "FoldRT read the same exported file");
        assertFalse(Files.exists(peer.opened.getFirst().file()), "the temporary ONNX file is deleted");
        assertTrue(r.err().contains("sides separate, folded, fake:PLAIN, fake:FUSED"), r.err());
        assertTrue(r.err().contains("round 2/2: separate "), r.err());
        // Rotation: round 1 starts with side 0, round 2 with side 1; every side timed 4 passes + 1 check + warm-ups.
        assertEquals(2 * (1 + 1 + 2 + 1 + 2), peer.engine.runs.get());

        JsonNode res = new ObjectMapper().readTree(json.toFile()).get("results").get(0);
        assertEquals(4, res.get("sides").size());
        assertEquals("fake:FUSED", res.get("sides").get(3).get("name").asText());
        JsonNode ratios = res.get("peer_ratios");
        assertEquals("separate", ratios.get(0).get("numerator").asText());
        assertEquals("fake:PLAIN", ratios.get(0).get("denominator").asText());
        assertEquals("folded", ratios.get(1).get("numerator").asText());
        assertEquals("fake:FUSED", ratios.get(1).get("denominator").asText());
        assertTrue(res.get("output_max_abs_diff").get("fake:PLAIN").asDouble() < 1e-4);
        assertTrue(r.out().contains("vs peer        folded / fake:FUSED = "), r.out());

        String markdown = Files.readString(md);
        assertTrue(markdown.contains("| model | batch | separate / fake:PLAIN [95% CI] | folded / fake:FUSED [95% CI] |"),
                markdown);
        assertTrue(markdown.contains("2 intra-op threads on both"), markdown);
        assertTrue(markdown.contains("fake = Fake peer 1.0"), markdown);
    }

    @Test
    void peerThatIsNotOnTheClassPathSaysHowToEnableIt() {
        CliHarness.Result r = cli.run("bench", "tiny_cnn", "--peers", "ort");
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("foldrt: peer 'ort' (ONNX Runtime) is not on the class path; the main build leaves "
                + "it out: build and run through the benchmark profile: 'bench/run side-by-side'"), r.err());
        assertEquals(0, cli.cpu.compiles.get());

        CliHarness.Result u = cli.run("bench", "tiny_cnn", "--peers", "tensorflow");
        assertEquals(2, u.code());
        assertEquals("foldrt: unknown peer 'tensorflow' (known: ort)", u.err().strip());
    }

    @Test
    void badInputIsOneLineAndExitTwoBeforeAnythingRuns() {
        assertBad("foldrt: unknown model 'resnet19': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)",
                "bench", "--model", "tiny_cnn,resnet19");
        assertBad("foldrt: --batch must be at least 1, got 0 (see 'foldrt bench --help')", "bench", "tiny_cnn", "--batch", "8,0");
        assertBad("foldrt: --batch must be at least 1, got -2 (see 'foldrt bench --help')", "bench", "tiny_cnn", "--batch=-2");
        assertBad("foldrt: --iters must be at least 1, got 0 (see 'foldrt bench --help')", "bench", "tiny_cnn", "--iters", "0");
        assertBad("foldrt: --trials must be at least 1, got 0 (see 'foldrt bench --help')", "bench", "tiny_cnn", "--trials", "0");
        assertBad("foldrt: --warmup must be at least 0, got -1 (see 'foldrt bench --help')", "bench", "tiny_cnn", "--warmup=-1");
        assertBad("foldrt: Invalid value for option '--batch' (N): 'eight' is not an int (see 'foldrt bench --help')",
                "bench", "tiny_cnn", "--batch", "1,eight");
        assertBad("foldrt: give models as MODEL or --model, not both (see 'foldrt bench --help')",
                "bench", "tiny_cnn", "--model", "two_inputs");
        assertBad("foldrt: missing model: give MODEL or --model NAME[,NAME...] (see 'foldrt bench --help')", "bench");
        assertBad("foldrt: --chart: the chart is a PNG; give a file name ending in .png, got 'c.jpg' (see 'foldrt bench --help')",
                "bench", "tiny_cnn", "--chart", "c.jpg");
        Path missing = dir.resolve("no-such-dir").resolve("out.json");
        assertBad("foldrt: " + missing + ": directory " + missing.getParent() + " does not exist",
                "bench", "tiny_cnn", "--json", missing.toString());
        assertBad("foldrt: --peers compares CPU engines; use --device cpu (or auto) (see 'foldrt bench --help')",
                "bench", "tiny_cnn", "--peers", "ort", "--device", "cuda");
        Path same = dir.resolve("same.json");
        assertBad("foldrt: " + same + ": is given as the output file twice",
                "bench", "tiny_cnn", "--json", same.toString(), "--markdown", same.toString());
        assertEquals(0, cli.cpu.compiles.get(), "nothing ran");
    }

    private void assertBad(String line, String... args) {
        CliHarness.Result r = cli.run(args);
        assertEquals(2, r.code(), r.err());
        assertEquals(List.of(line), r.errLines());
        assertEquals("", r.out());
    }

    @Test
    void aBenchmarkThatFailsMidwayWritesNothing() throws IOException {
        // The second batch size fails to compile after the first has been measured.
        CliContext ctx = new CliContext(cli.tools, (d, o, n) -> {
            Backend real = Backends.open(List.of(cli.cpu), d, o, n);
            return new Backend() {
                @Override
                public String name() {
                    return real.name();
                }

                @Override
                public Executable compile(Graph graph, int batch) {
                    if (batch == 2) throw new IllegalStateException("out of memory at batch 2");
                    return real.compile(graph, batch);
                }

                @Override
                public void close() {
                    real.close();
                }
            };
        });
        Path out = Files.createDirectory(dir.resolve("out"));
        CliHarness.Result r = CliHarness.run(ctx, "bench", "tiny_cnn", "--batch", "1,2", "--iters", "2", "--warmup", "0",
                "--json", out.resolve("r.json").toString(), "--markdown", out.resolve("r.md").toString(),
                "--chart", out.resolve("r.png").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("foldrt: internal error: IllegalStateException: out of memory at batch 2"), r.err());
        assertTrue(r.out().contains("tiny_cnn, batch 1"), "the finished case was printed");
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of(), files.toList(), "no output and no temporary file");
        }
    }
}
