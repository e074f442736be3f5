package io.foldrt.onnx;

import static io.foldrt.onnx.OnnxModels.ai;
import static io.foldrt.onnx.OnnxModels.ais;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Graph;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A ~100 MB model (big Conv and Gemm weights in raw_data) is imported and exported within 3 s, in a separate
 * JVM whose heap is capped at 3x the file size: if the conversion needed more heap at once, it would fail.
 */
class OnnxLargeModelTest {
    static final long TIME_LIMIT_MS = 3_000;
    static final int HEAP_FACTOR = 3;

    /** Conv 256->1024 3x3, Conv 1024->1024 3x3, Gemm 1024->4096, Gemm 4096->2048, each followed by BN. */
    static byte[] bigModel() {
        var m = new OnnxModels("big", 17, 99);
        String x = m.input("x", "N", 256, 8, 8);
        x = m.relu(m.bn(m.conv(x, 256, 1024, 3, ais("pads", 1, 1, 1, 1)), 1024));
        x = m.relu(m.bn(m.conv(x, 1024, 1024, 3, ais("pads", 1, 1, 1, 1)), 1024));
        x = m.node("Flatten", m.node("GlobalAveragePool", x));
        x = m.relu(m.bn(m.node("Gemm", List.of(x, m.init("fc1.w", m.gaussian(0.03, 4096, 1024)), m.init("fc1.b", m.uniform(-1, 1, 4096))),
                ai("transB", 1)), 4096));
        m.output(m.bn(m.node("Gemm", List.of(x, m.init("fc2.w", m.gaussian(0.02, 4096, 2048)))), 2048));
        return m.bytes();
    }

    @Test
    void hundredMegabyteModelConvertsFastInBoundedHeap(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("big.onnx"), out = dir.resolve("big-out.onnx");
        Files.write(in, bigModel());
        long size = Files.size(in);
        assertTrue(size > 95_000_000, "model is " + size + " bytes");

        String java = ProcessHandle.current().info().command().orElse("java");
        long heapMb = HEAP_FACTOR * size / (1 << 20);
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx" + heapMb + "m", "-XX:+UseParallelGC",
                "-cp", System.getProperty("java.class.path"), OnnxLargeModelProbe.class.getName(), in.toString(), out.toString())
                .redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        String measured = output.lines().filter(l -> l.startsWith("size_bytes=")).findFirst().orElse("");
        System.out.println("large-model probe (-Xmx" + heapMb + "m): " + measured);
        assertEquals(0, rc, "the probe failed within " + HEAP_FACTOR + "x the model size of heap:\n" + output);

        Map<String, Long> v = parse(measured);
        assertTrue(v.get("total_ms") < TIME_LIMIT_MS, "import + export took " + v.get("total_ms") + " ms");
        Graph original = OnnxImporter.load(in), written = OnnxImporter.load(out);
        assertEquals(original, written);
    }

    private static Map<String, Long> parse(String line) throws IOException {
        Matcher m = Pattern.compile("(\\w+)=(\\d+)").matcher(line);
        var map = new HashMap<String, Long>();
        while (m.find()) map.put(m.group(1), Long.parseLong(m.group(2)));
        if (!map.containsKey("total_ms")) throw new IOException("no measurements in: " + line);
        return map;
    }
}
