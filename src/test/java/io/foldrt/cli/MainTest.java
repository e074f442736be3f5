package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.io.Npy;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.Backends;
import io.foldrt.runtime.ModelTools;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.UnreadableFiles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exit codes and the exact one-line messages of bad input; nothing is run or written when input is bad. */
class MainTest {
    @TempDir
    Path dir;
    private final CliHarness cli = new CliHarness();

    private Path goodInput() {
        Path f = dir.resolve("x.npy");
        Npy.write(f, Tensor.zeros(1, 3, 8, 8));
        return f;
    }

    private void assertBadInput(String expectedLine, CliHarness.Result r) {
        assertEquals(2, r.code(), r.err());
        assertEquals(List.of("foldrt: " + expectedLine), r.errLines());
        assertEquals("", r.out());
        assertEquals(0, cli.cpu.runs.get(), "bad input must not run the model");
    }

    @Test
    void unknownModelName() {
        assertBadInput("unknown model 'resnet19': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)",
                cli.run("run", "resnet19", "--input", goodInput().toString()));
        assertBadInput("unknown model 'resnet19': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)",
                cli.run("info", "resnet19"));
    }

    @Test
    void wrongInputShape() {
        Path f = dir.resolve("small.npy");
        Npy.write(f, Tensor.zeros(1, 3, 4, 4));
        assertBadInput(f + ": has shape [1,3,4,4], expected [N,3,8,8] (N = any batch size)",
                cli.run("run", "tiny_cnn", "--input", f.toString(), "--output", dir.resolve("y.npy").toString()));
        assertTrue(Files.notExists(dir.resolve("y.npy")));
    }

    @Test
    void wrongDtype() throws IOException {
        String h = "{'descr': '<i4', 'fortran_order': False, 'shape': (1, 3, 8, 8), }";
        h += " ".repeat(128 - 10 - h.length() - 1) + "\n";
        byte[] prefix = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length(), 0};
        Path f = dir.resolve("ints.npy");
        Files.write(f, prefix);
        Files.write(f, h.getBytes(StandardCharsets.ISO_8859_1), java.nio.file.StandardOpenOption.APPEND);
        Files.write(f, new byte[4 * 192], java.nio.file.StandardOpenOption.APPEND);
        assertBadInput(f + ": has dtype '<i4'; expected float32 ('<f4') or float64 ('<f8')",
                cli.run("run", "tiny_cnn", "--input", f.toString()));
    }

    @Test
    void truncatedNpy() throws IOException {
        Path f = goodInput();
        byte[] b = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
        assertBadInput(f + ": truncated data (shape [1,3,8,8] of float32 needs 768 bytes after the header, file has 668)",
                cli.run("run", "tiny_cnn", "--input", f.toString()));
    }

    @Test
    void unreadableFile() throws IOException {
        Path f = UnreadableFiles.make(goodInput());
        CliHarness.Result r = cli.run("run", "tiny_cnn", "--input", f.toString());
        assertEquals(2, r.code());
        assertEquals(1, r.errLines().size(), r.err());
        assertTrue(r.err().startsWith("foldrt: " + f + ": cannot read ("), r.err());
    }

    @Test
    void missingInputFile() {
        Path f = dir.resolve("absent.npy");
        assertBadInput(f + ": no such file", cli.run("run", "tiny_cnn", "--input", f.toString()));
    }

    @Test
    void outputPathIsTheInputPath() throws IOException {
        Path f = goodInput();
        byte[] before = Files.readAllBytes(f);
        assertBadInput(f + ": output path is the input file; refusing to overwrite it",
                cli.run("run", "tiny_cnn", "--input", f.toString(), "--output", f.toString()));
        assertArrayEquals(before, Files.readAllBytes(f), "the input file must be untouched");
        // The same file through another spelling of its path.
        Path other = dir.resolve(".").resolve("x.npy");
        assertBadInput(other + ": output path is the input file; refusing to overwrite it",
                cli.run("run", "tiny_cnn", "--input", f.toString(), "--output", other.toString()));
    }

    @Test
    void missingOutputDirectory() {
        Path out = dir.resolve("nope").resolve("y.npy");
        assertBadInput(out + ": directory " + dir.resolve("nope") + " does not exist",
                cli.run("run", "tiny_cnn", "--input", goodInput().toString(), "--output", out.toString()));
        Path json = dir.resolve("nope").resolve("bench.json");
        assertBadInput(json + ": directory " + dir.resolve("nope") + " does not exist",
                cli.run("bench", "tiny_cnn", "--json", json.toString()));
    }

    @Test
    void batchZeroAndItersZero() {
        assertBadInput("--batch must be at least 1, got 0 (see 'foldrt bench --help')",
                cli.run("bench", "tiny_cnn", "--batch", "0"));
        assertBadInput("--batch must be at least 1, got -3 (see 'foldrt bench --help')",
                cli.run("bench", "tiny_cnn", "--batch", "-3"));
        assertBadInput("--iters must be at least 1, got 0 (see 'foldrt bench --help')",
                cli.run("bench", "tiny_cnn", "--iters", "0"));
        assertBadInput("Invalid value for option '--iters': 'many' is not an int (see 'foldrt bench --help')",
                cli.run("bench", "tiny_cnn", "--iters", "many"));
    }

    @Test
    void unknownDeviceString() {
        assertBadInput("Invalid value for option '--device': unknown device 'gpu' (expected auto, cpu, cuda or cuda:N)"
                        + " (see 'foldrt run --help')",
                cli.run("run", "tiny_cnn", "--input", goodInput().toString(), "--device", "gpu"));
    }

    @Test
    void explicitCudaWithoutAGpu() {
        assertBadInput("cuda:0 unavailable (libcuda.so.1 not found)",
                cli.run("run", "tiny_cnn", "--input", goodInput().toString(), "--device", "cuda"));
    }

    @Test
    void benchModelGivenTwiceOrNotAtAll() {
        assertBadInput("give models as MODEL or --model, not both (see 'foldrt bench --help')",
                cli.run("bench", "tiny_cnn", "--model", "tiny_cnn"));
        assertBadInput("missing model: give MODEL or --model NAME[,NAME...] (see 'foldrt bench --help')", cli.run("bench"));
    }

    @Test
    void picocliErrorsAreOneLine() {
        assertBadInput("Unknown option: '--bogus' (see 'foldrt run --help')",
                cli.run("run", "tiny_cnn", "--input", "x.npy", "--bogus"));
        assertBadInput("Missing required option: '--input=[NAME=]FILE' (see 'foldrt run --help')",
                cli.run("run", "tiny_cnn"));
        assertBadInput("missing command (info, run, bench, demo, fold, serve or bench-report) (see 'foldrt --help')", cli.run());
    }

    @Test
    void internalErrorsSayHowToGetDetails() {
        ModelTools broken = new FakeModelTools() {
            @Override
            public Graph zooModel(String name) {
                throw new IllegalStateException("boom");
            }
        };
        CliContext ctx = new CliContext(broken, (d, o, n) -> Backends.open(List.of(cli.cpu), d, o, n));
        CliHarness.Result r = CliHarness.run(ctx, "info", "tiny_cnn");
        assertEquals(1, r.code());
        assertEquals(List.of("foldrt: internal error: IllegalStateException: boom (run with --debug for details)"),
                r.errLines());

        CliHarness.Result d = CliHarness.run(ctx, "info", "tiny_cnn", "--debug");
        assertEquals(1, d.code());
        assertEquals("foldrt: internal error: IllegalStateException: boom", d.errLines().get(0));
        assertEquals("java.lang.IllegalStateException: boom", d.errLines().get(1));
        assertTrue(d.errLines().size() > 3, "a stack trace follows with --debug");
    }

    @Test
    void debugAlsoShowsTheTraceOfBadInput() {
        CliHarness.Result r = cli.run("--debug", "info", "resnet19");
        assertEquals(2, r.code());
        assertEquals("foldrt: unknown model 'resnet19': not a file and not a zoo model (zoo: tiny_cnn, two_inputs)",
                r.errLines().get(0));
        assertTrue(r.errLines().get(1).startsWith("io.foldrt.ir.ModelException: unknown model"), r.err());
    }

    @Test
    void helpGoesToStdoutWithExitZero() {
        CliHarness.Result r = cli.run("--help");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("Usage: foldrt"), r.out());
        for (String c : List.of("info", "run", "bench", "demo", "fold")) assertTrue(r.out().contains("  " + c), c);
        assertEquals(0, cli.run("run", "--help").code());
    }

    /**
     * picocli reports a description it cannot format (a bare '%') on the process's stderr, not ours. The
     * commands are read from the top-level help, so a new command is covered without editing this test.
     */
    @Test
    void everyCommandsHelpFormatsCleanly() {
        PrintStream saved = System.err;
        ByteArrayOutputStream stray = new ByteArrayOutputStream();
        List<String> commands;
        try {
            System.setErr(new PrintStream(stray, true, StandardCharsets.UTF_8));
            String top = cli.run("--help").out();
            commands = top.substring(top.indexOf("Commands:")).lines()
                    .filter(l -> l.matches("  [a-z][a-z-]* .*")).map(l -> l.trim().split(" ")[0])
                    .filter(c -> !c.equals("help")).toList();
            for (String c : commands) {
                CliHarness.Result r = cli.run(c, "--help");
                assertEquals(0, r.code(), c);
                assertTrue(r.out().startsWith("Usage: foldrt " + c), r.out());
            }
        } finally {
            System.setErr(saved);
        }
        assertEquals("", stray.toString(StandardCharsets.UTF_8));
        assertEquals(List.of("info", "run", "bench", "demo", "fold", "serve", "bench-report"), commands);
        assertTrue(cli.run("bench", "--help").out().contains("95% confidence"));
    }

    @Test
    void noFoldAsksThePlannerToKeepBatchNorm() {
        assertEquals(0, cli.run("run", "tiny_cnn", "--input", goodInput().toString(), "--no-fold").code());
        assertEquals(List.of(PlanRequest.unfolded().withProbe(false)), cli.tools.planRequests);
    }
}
