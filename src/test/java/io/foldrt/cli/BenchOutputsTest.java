package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.foldrt.testing.FakeReport;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** JSON, Markdown, chart and bench-report outputs, from hand-made results with known numbers. */
class BenchOutputsTest {
    @TempDir
    Path dir;

    static BenchReport report(int cases) {
        Benchmark.Config cfg = new Benchmark.Config(List.of(1, 8), 2, 4, 2, 1, 42, false, 200);
        MachineInfo m = new MachineInfo("Test CPU 3000", 2, "OpenJDK 25", "Linux 6.1 amd64", "0.50 0.40 0.30",
                "2025-01-02T03:04:05Z", "foldrt bench m", "abc123");
        List<Benchmark.CaseResult> rs = new java.util.ArrayList<>();
        for (int i = 0; i < cases; i++) {
            double[] sep = {10, 11, 12, 13}, fold = {8, 8.5, 9, 9.5};
            var sides = List.of(new Benchmark.SideResult("separate", "FoldRT separate", sep, new double[] {11.5}),
                    new Benchmark.SideResult("folded", "FoldRT folded", fold, new double[] {8.75}));
            Bootstrap.Interval sp = Bootstrap.ratioOfMedians(sep, fold, 200, 0.95, 1);
            Benchmark.LayerTimes layers = new Benchmark.LayerTimes(Map.of("c", 6.0, "bn", 3.0), Map.of("c", 6.5),
                    Map.of("c", "Conv", "bn", "BatchNormalization"));
            rs.add(new Benchmark.CaseResult("model" + i, 1 + i, "cpu (2 threads)", sides,
                    new FakeReport(1, 0, 100, 90, 1e-7, 1e-6, 0.5, "cpu"), 1, 0, Map.of("folded", 1e-6), sp, List.of(),
                    i == 0 ? layers : null));
        }
        return new BenchReport(m, cfg, "cpu (2 threads)", 2, List.of(), rs);
    }

    @Test
    void jsonHasMachineConfigAndEverySample() {
        ObjectNode j = BenchJson.toJson(report(1));
        assertEquals("Test CPU 3000", j.get("machine").get("cpu").asText());
        assertEquals("abc123", j.get("machine").get("commit").asText());
        assertEquals(200, j.get("config").get("ci").get("resamples").asInt());
        JsonNode r = j.get("results").get(0);
        assertEquals(11.5, r.get("sides").get(0).get("median_ms").asDouble(), 1e-12);
        assertEquals(4, r.get("sides").get(1).get("samples_ms").size());
        assertEquals(11.5 / 8.75, r.get("speedup").get("value").asDouble(), 1e-12);
        assertEquals(2, r.get("layers").get("by_type").size());
        assertTrue(r.get("peer_ratios").isEmpty());
    }

    @Test
    void markdownHasTheLatencyAndLayerTables() {
        String md = BenchMarkdown.render(BenchJson.toJson(report(2)));
        assertTrue(md.startsWith("# FoldRT benchmark\n\nMachine: Test CPU 3000, 2 cores, load average 0.50 0.40 0.30;"), md);
        assertTrue(md.contains("Command: `foldrt bench m`"), md);
        assertTrue(md.contains("| model | batch | separate ms: median (p90, p99) | folded ms: median (p90, p99) | speedup [95% CI] |\n"
                + "|---|---|---|---|---|\n"), md);
        String sp = String.format(java.util.Locale.ROOT, "%.3fx", 11.5 / 8.75);
        assertTrue(md.contains("| model0 | 1 | 11.500 (12.700, 12.970) | 8.750 (9.350, 9.485) | " + sp + " ["), md);
        assertTrue(md.contains("| model1 | 2 | 11.500 "), md);
        assertTrue(md.contains("Where the time goes: model0, batch 1"), md);
        assertTrue(md.contains("| BatchNormalization | 3.000 | 0.000 | -3.000 |"), md);
        assertTrue(md.contains("| **total** | 9.000 | 6.500 | -2.500 |"), md);
        assertTrue(!md.contains("Where the time goes: model1"), "no layer table without layer times");
        assertTrue(!md.contains("per trial"), "one trial: no trial column");
    }

    @Test
    void markdownShowsTheSpreadOfTheTrialsWhenThereAreSeveral() {
        ObjectNode j = BenchJson.toJson(report(1));
        ((ObjectNode) j.get("config")).put("trials", 3);
        JsonNode sides = j.get("results").get(0).get("sides");
        ((ObjectNode) sides.get(0)).putArray("trial_medians_ms").add(10.0).add(12.0).add(11.0);
        ((ObjectNode) sides.get(1)).putArray("trial_medians_ms").add(10.0).add(8.0).add(10.0);
        String md = BenchMarkdown.render(j);
        assertTrue(md.contains("| speedup [95% CI] | speedup per trial (min-max) | spread of the trial medians: separate, folded |\n"), md);
        // Speedup per trial 10/10 .. 12/8; spread of the medians (12-10)/10 and (10-8)/8.
        assertTrue(md.contains("] | 1.000-1.500 | 20.0%, 25.0% |\n"), md);
    }

    @Test
    void chartIsAPngWithOnePanelPerResultInAGrid() throws IOException {
        for (int cases : new int[] {1, 4}) {
            byte[] png = BenchChart.png(BenchJson.toJson(report(cases)));
            assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, java.util.Arrays.copyOf(png, 4));
            BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
            int[] g = BenchChart.grid(cases);
            assertEquals(g[0] * BenchChart.PANEL_WIDTH, img.getWidth());
            assertEquals(BenchChart.HEADER + g[1] * BenchChart.PANEL_HEIGHT, img.getHeight());
            assertTrue(png.length > 5_000, "a drawn chart, not a blank image: " + png.length + " bytes");
        }
        assertArrayEquals(new int[] {3, 2}, BenchChart.grid(4));
        assertArrayEquals(new int[] {2, 1}, BenchChart.grid(2));
    }

    @Test
    void benchReportRendersEveryResultFileNewestFirst() throws IOException {
        Files.write(dir.resolve("bench-2025-01-01.json"), BenchJson.bytes(BenchJson.toJson(report(1))));
        Files.write(dir.resolve("bench-2025-02-01.json"), BenchJson.bytes(BenchJson.toJson(report(2))));
        Files.writeString(dir.resolve("jmh-2025-03-01.json"), """
                {"format": "foldrt-jmh/1", "machine": {"cpu": "Test CPU", "cores": 2, "date": "2025-03-01T00:00:00Z",
                 "command": "bench/run jmh", "commit": "c0ffee", "load_average": "1 1 1", "java": "j", "os": "o"},
                 "skipped": "cuda: libcuda.so.1 not found",
                 "jmh": [{"benchmark": "io.foldrt.bench.ConvBnBench.forward", "mode": "sample",
                   "params": {"shape": "r50_l1_3x3", "variant": "folded"},
                   "primaryMetric": {"score": 1.5, "scoreError": 0.1, "scoreUnit": "ms/op",
                     "scorePercentiles": {"50.0": 1.4, "99.0": 2.0}, "rawDataHistogram": [[[[1.4, 30], [2.0, 2]]]]}}]}
                """);
        // JmhRunner's own files carry the sample count instead of the raw histograms.
        Files.writeString(dir.resolve("jmh-2025-04-01.json"), """
                {"format": "foldrt-jmh/1", "machine": {"cpu": "Test CPU", "cores": 2, "date": "2025-04-01T00:00:00Z",
                 "command": "bench/run jmh", "commit": "c0ffee", "load_average": "1 1 1", "java": "j", "os": "o"},
                 "skipped": "",
                 "jmh": [{"benchmark": "io.foldrt.bench.ConvBnBench.forward", "mode": "sample",
                   "params": {"shape": "r50_l4_3x3", "variant": "conv"},
                   "primaryMetric": {"score": 2.5, "scoreError": 0.2, "scoreUnit": "ms/op",
                     "scorePercentiles": {"50.0": 2.4, "99.0": 3.0}, "samples": 57}}]}
                """);
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        Files.write(dir.resolve("bench-2025-02-01.png"), BenchChart.png(BenchJson.toJson(report(2))));
        ObjectNode torch = BenchJson.toJson(report(1));
        ((ObjectNode) torch.get("config")).put("engine", "PyTorch");
        Files.write(dir.resolve("gpu-torch.json"), BenchJson.bytes(torch));
        CliHarness.Result r = new CliHarness().run("bench-report", dir.toString());
        assertEquals(0, r.code(), r.err());
        String md = Files.readString(dir.resolve("README.md"));
        assertTrue(md.startsWith("# FoldRT benchmark results\n\nGenerated by `foldrt bench-report`"), md);
        int jmh = md.indexOf("## jmh-2025-03-01.json (JMH)"), feb = md.indexOf("## bench-2025-02-01.json (foldrt bench)"),
                jan = md.indexOf("## bench-2025-01-01.json (foldrt bench)");
        assertTrue(jmh >= 0 && jmh < feb && feb < jan, md);
        assertTrue(md.contains("| ConvBnBench.forward | shape=r50_l1_3x3 variant=folded | 1.400 | 2.000 | 1.500 ± 0.100 | ms/op | 32 |"), md);
        assertTrue(md.contains("Skipped: cuda: libcuda.so.1 not found"), md);
        assertTrue(md.contains("| ConvBnBench.forward | shape=r50_l4_3x3 variant=conv | 2.400 | 3.000 | 2.500 ± 0.200 | ms/op | 57 |"), md);
        assertTrue(md.contains("## bench-2025-02-01.json (foldrt bench)\n\n![latency distributions](bench-2025-02-01.png)\n"), md);
        assertTrue(!md.contains("bench-2025-01-01.png"), "no link to a chart that does not exist");
        int torchAt = md.indexOf("## gpu-torch.json (PyTorch)\n");
        assertTrue(torchAt > jmh && md.indexOf("Method: PyTorch on cpu (2 threads)", torchAt) > 0, md);
        assertTrue(md.indexOf("Method: FoldRT on cpu (2 threads)", feb) > 0, md);
        assertTrue(md.contains("Conv vs conv+BN vs folded, per layer shape (median ms/op)\n\n"
                + "| parameters | conv | conv_bn | folded | conv_bn_relu | folded_relu | conv_bn / folded |\n"), md);
        assertTrue(md.contains("| shape=r50_l1_3x3 |  |  | 1.400 |  |  |  |\n"), md);

        CliHarness.Result missing = new CliHarness().run("bench-report", dir.resolve("nope").toString());
        assertEquals(2, missing.code());
        assertEquals("foldrt: " + dir.resolve("nope") + ": no such directory", missing.err().strip());
    }
}
