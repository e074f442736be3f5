package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.foldrt.runtime.PlanRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
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
        assertTrue(err.get(2).startsWith("  round 1/2: separate "), err.get(2));
        assertTrue(err.get(3).startsWith("  round 2/2: separate "), err.get(3));

        List<String> out = List.of(r.out().split("\n"));
        assertEquals("tiny_cnn, batch 2, on reference cpu (5 timed passes per side)", out.get(0));
        assertTrue(out.get(2).startsWith("separate BN "), out.get(2));
        assertTrue(out.get(3).startsWith("folded "), out.get(3));
        assertTrue(out.get(4).matches("speedup        \\d+\\.\\d\\dx \\(median separate / median folded\\)"), out.get(4));
        assertEquals("fold           1 BatchNorm folded, 0 kept; parameters 153 -> 137; 0.750 ms on fake engine", out.get(5));
        assertEquals("max error      2.5e-07 abs, 1.0e-06 rel (planner probe); outputs on the bench input differ by 0.0e+00",
                out.get(6));
        assertEquals("wrote " + json, out.get(7));

        JsonNode j = new ObjectMapper().readTree(json.toFile());
        assertEquals("tiny_cnn", j.get("model").asText());
        assertEquals(2, j.get("batch").asInt());
        assertEquals(5, j.get("separate").get("samples").asInt());
        assertEquals(5, j.get("folded").get("samples").asInt());
        double speedup = j.get("separate").get("median_ms").asDouble() / j.get("folded").get("median_ms").asDouble();
        assertEquals(speedup, j.get("speedup").asDouble(), 1e-12);
        assertTrue(j.get("folded").get("p99_ms").asDouble() >= j.get("folded").get("median_ms").asDouble());
        assertEquals(2.5e-7, j.get("fold").get("max_abs_error").asDouble());
        assertEquals(1, j.get("fold").get("report").get("folded").asInt(), "the planner's JSON report is embedded");
    }

    @Test
    void positionalModelAndMoreRoundsThanIters() {
        CliHarness.Result r = cli.run("bench", "tiny_cnn", "--iters", "2", "--warmup", "0", "--rounds", "10");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("0 warm-up and 2 timed passes per side in 2 rounds"), r.err());
        assertEquals(2 * (1 + 2), cli.cpu.runs.get());
    }

    @Test
    void unmeasuredErrorsAreNullInJson() throws IOException {
        Benchmark.Result r = new Benchmark.Result("m", "dev", new Benchmark.Config(1, 0, 1, 1, 1),
                Stats.of(new double[] {2}), Stats.of(new double[] {1}),
                new io.foldrt.testing.FakeReport(0, 0, 1, 1, Double.NaN, Double.NaN, 0, "e"), 0, 0, Double.NaN);
        JsonNode j = BenchJson.toJson(r);
        assertTrue(j.get("fold").get("max_abs_error").isNull());
        assertTrue(j.get("output_max_abs_diff").isNull());
        assertEquals(2.0, j.get("speedup").asDouble());
    }
}
