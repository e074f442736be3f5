package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.cli.Main;
import io.foldrt.io.Npy;
import io.foldrt.ir.Tensor;
import io.foldrt.zoo.ModelZoo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line with {@code --device cuda} on the emulated GPU, through the standard context (ServiceLoader
 * providers, real zoo and planner): {@code run} writes the outputs {@code --device cpu} writes, within
 * {@link EmulatedGpu#REL_L2} / {@link EmulatedGpu#ELEMENT}; {@code bench} times both sides on the device.
 */
@Tag("emulated")
class EmulatedCliTest {
    record Result(int code, String out, String err) {}

    @TempDir
    Path dir;

    @Test
    void runOnCudaWritesWhatRunOnCpuWrites() {
        var before = EmulatedGpu.Snapshot.take();
        Path input = dir.resolve("input.npy");
        int[] shape = ModelZoo.build("strided_cnn").inputs().getFirst().shape();
        shape[0] = 2;
        Npy.write(input, Tensor.random(new SplittableRandom(5), -1, 1, shape));
        for (String[] variant : new String[][] {{}, {"--no-fold"}, {"-O", "cuda.conv-path=add", "-O", "cuda.cuda-graph=true"}}) {
            Path onCuda = dir.resolve("cuda.npy"), onCpu = dir.resolve("cpu.npy");
            Result cuda = cli(concat(new String[] {"run", "strided_cnn", "-i", input.toString(), "-o", onCuda.toString(),
                    "--device", "cuda"}, variant));
            assertEquals(0, cuda.code(), cuda.err());
            assertTrue(cuda.err().contains("on cuda:0 NVIDIA H100"), cuda.err());
            assertTrue(cuda.out().contains("wrote " + onCuda), cuda.out());
            Result cpu = cli(concat(new String[] {"run", "strided_cnn", "-i", input.toString(), "-o", onCpu.toString(),
                    "--device", "cpu"}, variant));
            assertEquals(0, cpu.code(), cpu.err());
            EmulatedGpu.assertClose(Npy.read(onCpu), Npy.read(onCuda), "run " + String.join(" ", variant));
            assertTrue(onCuda.toFile().delete() && onCpu.toFile().delete());
        }
        before.assertRestored();
    }

    @Test
    void benchOnCudaTimesBothSides() {
        var before = EmulatedGpu.Snapshot.take();
        Path json = dir.resolve("bench.json");
        Result r = cli("bench", "linear_bn_linear", "--device", "cuda", "--batch", "2", "--iters", "4", "--warmup", "1",
                "--rounds", "2", "--json", json.toString(), "-O", "cuda-graph=true");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("linear_bn_linear, batch 2, on cuda:0 NVIDIA H100"), r.out());
        assertTrue(r.out().contains("separate BN") && r.out().contains("folded") && r.out().contains("speedup"), r.out());
        assertTrue(json.toFile().length() > 0);
        before.assertRestored();
    }

    @Test
    void aMissingGpuOrdinalIsOneLineAndExitCodeTwo() {
        var before = EmulatedGpu.Snapshot.take();
        Path input = dir.resolve("x.npy");
        Npy.write(input, Tensor.random(new SplittableRandom(1), -1, 1, 1, 256));
        Result r = cli("run", "linear_bn_linear", "-i", input.toString(), "--device", "cuda:3");
        assertEquals(2, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().contains("no CUDA device 3: 1 present"), r.err());
        assertFalse(r.out().contains("input"), r.out());
        before.assertRestored();
    }

    private static String[] concat(String[] a, String[] b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
