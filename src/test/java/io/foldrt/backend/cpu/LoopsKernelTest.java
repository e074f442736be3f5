package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The loops kernel never touches the Vector API, checked in child JVMs (this one has the module): one started
 * without {@code jdk.incubator.vector} runs GEMM and depthwise convolutions, and with the module present,
 * {@code kernel=loops} loads none of its classes (nor the CPU backend's Vector API classes).
 */
class LoopsKernelTest {

    /** Child JVM: runs a small network on the kernel named by args[0], checks it, prints "ok". */
    public static void main(String[] args) {
        var b = new GraphBuilder("mix", 5);
        String x = b.input("x", Shapes.BATCH, 3, 12, 40);
        x = b.relu6(b.conv(x, 6, 3, 1, 1));                                                 // GEMM
        x = b.relu6(b.conv(x, 6, 3, 3, Hw.of(2), Pads.of(1), Hw.ONE, 6, true));          // depthwise, stride 2
        x = b.conv(x, 6, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 6, false);                     // depthwise, stride 1
        b.output(b.conv(x, 4, 1, 1, 0));
        Graph g = b.build();
        Map<String, Tensor> in = Oracle.inputs(g, 2, 3);
        var ref = ReferenceInterpreter.run(g, in);
        try (CpuBackend cpu = new CpuBackend(2, MicroKernel.select(args[0]));
             CpuExecutable exe = cpu.compile(g, 2)) {
            var got = exe.run(in);
            for (var e : ref.entrySet()) Oracle.compare(e.getKey(), e.getValue(), got.get(e.getKey()));
            System.out.println("ok: " + cpu.name());
        }
    }

    @Test
    void aJvmWithoutTheVectorModuleRunsEverything() throws Exception {
        String out = child(List.of(), "auto");
        assertTrue(out.contains("ok: cpu (2 threads, loops kernel)"), out);
    }

    @Test
    void theLoopsKernelLoadsNoVectorApiClass() throws Exception {
        String out = child(List.of("--add-modules", "jdk.incubator.vector", "-Xlog:class+load"), "loops");
        assertTrue(out.contains("ok: cpu (2 threads, loops kernel)"), out);
        for (String cls : List.of("jdk.incubator.vector.", "VectorMicroKernel", "VectorDepthwise", "VectorActivation", "VectorMaxPool", "VectorGemv")) {
            assertFalse(out.contains(cls), "loaded " + cls);
        }
        assertTrue(out.contains("LoopMicroKernel"), "the class-load log is missing");
    }

    /** Runs {@link #main} in a fresh JVM with {@code jvmOptions}; returns its stdout and stderr. */
    private static String child(List<String> jvmOptions, String kernel) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LoopsKernelTest.class.getName(), kernel));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM still running");
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
