package io.foldrt.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.io.Npy;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.testing.TestModels;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
    @TempDir
    Path dir;
    private final CliHarness cli = new CliHarness();

    private static float[] reference(Graph g, Map<String, Tensor> in, String output) {
        double[] d = ReferenceInterpreter.run(g, in).get(output).data();
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    @Test
    void writesTheFirstOutputForTheFirstInput() {
        Tensor x = Tensor.random(new SplittableRandom(3), -1f, 1f, 2, 3, 8, 8);
        Path in = dir.resolve("x.npy"), out = dir.resolve("y.npy");
        Npy.write(in, x);
        CliHarness.Result r = cli.run("run", "tiny_cnn", "--input", in.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("wrote " + out + " (fc1_out [2,5])\n", r.out());
        assertEquals("foldrt: cuda unavailable (libcuda.so.1 not found): using cpu", r.errLines().get(0));
        assertTrue(r.errLines().get(1).startsWith("foldrt: tiny_cnn on reference cpu, batch 2, BatchNorm folded: compiled in "),
                r.err());
        assertEquals(2, r.errLines().size());
        Tensor y = Npy.read(out);
        assertArrayEquals(new int[] {2, 5}, y.shape());
        assertArrayEquals(reference(TestModels.tinyCnn(), Map.of("x", x), "fc1_out"), y.data());
        assertEquals(List.of(PlanRequest.defaults().withProbe(false)), cli.tools.planRequests);
    }

    @Test
    void namedInputsAndOutputs() {
        Tensor a = Tensor.random(new SplittableRandom(1), -1f, 1f, 3, 4);
        Tensor b = Tensor.random(new SplittableRandom(2), -1f, 1f, 3, 4);
        Path pa = dir.resolve("a.npy"), pb = dir.resolve("b.npy");
        Npy.write(pa, a);
        Npy.write(pb, b);
        Path o1 = dir.resolve("fc.npy"), o2 = dir.resolve("relu.npy");
        CliHarness.Result r = cli.run("run", "two_inputs", "--device", "cpu", "-i", "b=" + pb, "-i", "a=" + pa,
                "-o", "relu1_out=" + o2, "-o", "fc1_out=" + o1);
        assertEquals(0, r.code(), r.err());
        Graph g = TestModels.twoInputs();
        assertArrayEquals(reference(g, Map.of("a", a, "b", b), "fc1_out"), Npy.read(o1).data());
        assertArrayEquals(reference(g, Map.of("a", a, "b", b), "relu1_out"), Npy.read(o2).data());
        assertEquals(1, r.errLines().size(), "an explicit cpu device gives no fallback notice: " + r.err());
    }

    @Test
    void unnamedInputBindsTheFirstAndPathsMayContainEquals() {
        Path a = dir.resolve("x=1.npy"), b = dir.resolve("b.npy");
        Npy.write(a, Tensor.zeros(1, 4));
        Npy.write(b, Tensor.zeros(1, 4));
        CliHarness.Result r = cli.run("run", "two_inputs", "-i", a.toString(), "-i", "b=" + b);
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("fc1_out [1,3] min="), r.out());
        assertTrue(r.out().contains("\nrelu1_out [1,4] min=0.00000 max=0.00000 mean=0.00000 [0.00000, 0.00000, 0.00000, 0.00000]\n"),
                r.out());
    }

    @Test
    void bindingMistakesAreOneLine() {
        Path a = dir.resolve("a.npy");
        Npy.write(a, Tensor.zeros(1, 4));
        assertEquals(List.of("foldrt: --input is given twice without a name; write --input NAME=FILE (model inputs: a[N,4], b[N,4])"),
                cli.run("run", "two_inputs", "-i", a.toString(), "-i", a.toString()).errLines());
        assertEquals(List.of("foldrt: no --input for model input 'b' [N,4]; write --input b=FILE (model inputs: a[N,4], b[N,4])"),
                cli.run("run", "two_inputs", "-i", a.toString()).errLines());
        assertEquals(List.of("foldrt: --input for 'a' is given twice"),
                cli.run("run", "two_inputs", "-i", "a=" + a, "-i", "a=" + a).errLines());
        assertEquals(List.of("foldrt: --input c=" + a + ": the model has no input 'c' and there is no such file"
                        + " (model inputs: a[N,4], b[N,4])"),
                cli.run("run", "two_inputs", "-i", "c=" + a, "-i", "b=" + a).errLines());
        Path o = dir.resolve("o.npy");
        assertEquals(List.of("foldrt: " + o + ": is given as the output file twice"),
                cli.run("run", "two_inputs", "-i", "a=" + a, "-i", "b=" + a, "-o", "fc1_out=" + o, "-o", "relu1_out=" + o)
                        .errLines());
        Path b3 = dir.resolve("b3.npy");
        Npy.write(b3, Tensor.zeros(3, 4));
        assertEquals(List.of("foldrt: input 'b' has batch size 3 but input 'a' has 1"),
                cli.run("run", "two_inputs", "-i", "a=" + a, "-i", "b=" + b3).errLines());
        assertEquals(0, cli.cpu.runs.get());
    }

    @Test
    void acceptsFloat64Input() throws IOException {
        String h = "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 4), }";
        h += " ".repeat(128 - 10 - h.length() - 1) + "\n";
        ByteBuffer data = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : new double[] {-1.5, 0.25, -3, 4}) data.putDouble(v);
        Path f = dir.resolve("a64.npy");
        Files.write(f, new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) h.length(), 0});
        Files.write(f, h.getBytes(StandardCharsets.ISO_8859_1), java.nio.file.StandardOpenOption.APPEND);
        Files.write(f, data.array(), java.nio.file.StandardOpenOption.APPEND);
        Path out = dir.resolve("relu.npy");
        CliHarness.Result r = cli.run("run", "two_inputs", "-i", "a=" + f, "-i", "b=" + f, "-o", "relu1_out=" + out);
        assertEquals(0, r.code(), r.err());
        assertArrayEquals(new float[] {0f, 0.25f, 0f, 4f}, Npy.read(out).data());
    }

    @Test
    void replacesAnExistingOutputFile() throws IOException {
        Path in = dir.resolve("x.npy"), out = dir.resolve("y.npy");
        Npy.write(in, Tensor.zeros(1, 3, 8, 8));
        Files.writeString(out, "old");
        assertEquals(0, cli.run("run", "tiny_cnn", "-i", in.toString(), "-o", out.toString()).code());
        assertArrayEquals(new int[] {1, 5}, Npy.read(out).shape());
        try (var s = Files.list(dir)) {
            assertEquals(List.of("x.npy", "y.npy"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files are left behind");
        }
    }

    @Test
    void neverWritesOverTheModelFile() throws IOException {
        Path model = Files.writeString(dir.resolve("m.onnx"), "tiny_cnn");
        Path in = dir.resolve("x.npy");
        Npy.write(in, Tensor.zeros(1, 3, 8, 8));
        CliHarness.Result r = cli.run("run", model.toString(), "-i", in.toString(), "-o", model.toString());
        assertEquals(List.of("foldrt: " + model + ": output path is the input file; refusing to overwrite it"), r.errLines());
        assertEquals("tiny_cnn", Files.readString(model));
    }
}
