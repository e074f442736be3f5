package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.runtime.Backends;
import io.foldrt.runtime.PlanRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** info, demo and fold. */
class OtherCommandsTest {
    @TempDir
    Path dir;
    private final CliHarness cli = new CliHarness();

    @Test
    void infoSummarisesTheModelAndItsFoldPlan() {
        CliHarness.Result r = cli.run("info", "tiny_cnn", "--batch", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals(String.join("\n",
                "model       tiny_cnn (model zoo)",
                "inputs      x[N,3,8,8]",
                "outputs     fc1_out[N,5]",
                "nodes       6: BatchNormalization 1, Conv 1, Flatten 1, Gemm 1, GlobalAveragePool 1, Relu 1",
                "BatchNorm   1 fold into the layer before them, 0 stay separate",
                "parameters  153 before folding, 137 after (-16)",
                "memory      6.1 KiB (6,248 bytes) of activations at batch 2 on reference cpu",
                "",
                "fold plan (dry run, engine fake engine):",
                "  fake fold report: 1 folded, 0 kept",
                "    bn1: folds into conv1",
                ""), r.out());
        assertEquals("", r.err());
        assertEquals(0, cli.cpu.runs.get(), "info compiles but never runs");
        assertEquals(List.of(PlanRequest.defaults()), cli.tools.planRequests);
    }

    @Test
    void infoWithoutACpuBackendStillAnswers() {
        CliContext noBackends = new CliContext(cli.tools, (d, o, n) -> Backends.open(List.of(), d, o, n));
        CliHarness.Result r = CliHarness.run(noBackends, "info", "two_inputs");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("\nnodes       3: Add 1, Gemm 1, Relu 1\n"), r.out());
        assertTrue(r.out().contains("\nBatchNorm   none in this model\n"), r.out());
        // Linear(4 -> 3): 12 weights and 3 biases.
        assertTrue(r.out().contains("\nparameters  15 before folding, 15 after (unchanged)\n"), r.out());
        assertTrue(r.out().contains("\nmemory      activation memory unknown: cpu unavailable (no cpu backend installed)\n"),
                r.out());
    }

    @Test
    void demoExplainsTheResult() {
        CliHarness.Result r = cli.run("demo", "--model", "tiny_cnn", "--iters", "3", "--warmup", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("FoldRT demo: tiny_cnn, batch 1, on reference cpu\n"), r.out());
        assertTrue(r.out().contains("  BatchNorm layers run                    1              1\n"), r.out());
        assertTrue(r.out().contains("  parameters                            153            137\n"), r.out());
        assertTrue(r.out().contains("  speedup: "), r.out());
        assertTrue(r.out().contains("largest difference between folded and separate outputs: 0.0e+00 on this input, "
                + "2.5e-07 by the planner's probe"), r.out());
    }

    @Test
    void demoDefaultsToResnet18() {
        CliHarness.Result r = cli.run("demo");
        assertEquals(2, r.code());
        assertEquals(List.of("foldrt: unknown model 'resnet18': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)"),
                r.errLines(), "the fake zoo has no resnet18; the real one does");
    }

    @Test
    void foldWritesModelAndReport() throws IOException {
        Path in = Files.writeString(dir.resolve("in.onnx"), "tiny_cnn");
        Path out = dir.resolve("out.onnx"), report = dir.resolve("report.json");
        CliHarness.Result r = cli.run("fold", in.toString(), "-o", out.toString(), "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("fake fold report: 1 folded, 0 kept\n  bn1: folds into conv1\nwrote " + out
                + " (opset 13): 1 BatchNorm folded, 0 kept; parameters 153 -> 137; report in " + report + "\n", r.out());
        assertEquals("fake onnx: tiny_cnn, opset 13, 6 nodes\n", Files.readString(out));
        assertEquals("{\"folded\": 1, \"kept\": 0}", Files.readString(report));
        assertEquals(List.of(PlanRequest.defaults()), cli.tools.planRequests);
    }

    @Test
    void foldRefusesToOverwriteItsInputOrMissingDirectories() throws IOException {
        Path in = Files.writeString(dir.resolve("in.onnx"), "tiny_cnn");
        assertEquals(List.of("foldrt: " + in + ": output path is the input file; refusing to overwrite it"),
                cli.run("fold", in.toString(), "-o", in.toString()).errLines());
        Path out = dir.resolve("out.onnx");
        assertEquals(List.of("foldrt: " + out + ": is given as the output file twice"),
                cli.run("fold", in.toString(), "-o", out.toString(), "--report", out.toString()).errLines());
        Path missing = dir.resolve("no/out.onnx");
        assertEquals(List.of("foldrt: " + missing + ": directory " + dir.resolve("no") + " does not exist"),
                cli.run("fold", in.toString(), "-o", missing.toString()).errLines());
        assertEquals(List.of("foldrt: " + dir.resolve("nope.onnx") + ": no such file"),
                cli.run("fold", dir.resolve("nope.onnx").toString(), "-o", out.toString()).errLines());
        assertEquals("tiny_cnn", Files.readString(in));
        assertEquals(List.of(), cli.tools.planRequests, "nothing was planned");
    }
}
