package io.foldrt.onnx;

import io.foldrt.ir.Graph;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Measures importing and exporting one ONNX file: {@code java -Xmx... OnnxLargeModelProbe in.onnx out.onnx}.
 * Prints one line of key=value pairs: file size, time to load, time to write, and the peak heap after the
 * last collection (what survived, i.e. what the conversion really needed at once). Run it with -Xmx set to a
 * multiple of the file size to prove the conversion fits in that much heap.
 */
public final class OnnxLargeModelProbe {
    private OnnxLargeModelProbe() {}

    public static void main(String[] args) throws Exception {
        Path in = Path.of(args[0]), out = Path.of(args[1]);
        long size = Files.size(in);
        System.gc();
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) p.resetPeakUsage();
        long t0 = System.nanoTime();
        Graph g = OnnxImporter.load(in);
        long t1 = System.nanoTime();
        OnnxExporter.write(g, out, OnnxImporter.opsetOf(in), in);
        long t2 = System.nanoTime();
        long peak = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) peak += p.getPeakUsage().getUsed();
        }
        System.out.printf("size_bytes=%d load_ms=%d write_ms=%d total_ms=%d peak_heap_pools_bytes=%d max_heap_bytes=%d params=%d%n",
                size, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t2 - t0) / 1_000_000, peak,
                Runtime.getRuntime().maxMemory(), g.parameterCount());
    }
}
