package io.foldrt.backend.cpu;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measurement probe, not a test: times a ResNet-18-shaped graph (224x224) on the CPU backend with BatchNorm
 * kept separate and with BatchNorm folded into the conv weights by hand, at several batch sizes, and reports
 * the conv GEMM throughput. The two variants are timed in alternation so that load from other processes
 * hits both alike; besides wall-clock statistics it reports the CPU time the runs consumed and how much CPU
 * the process actually obtained, which says how far the wall-clock numbers are inflated by other load.
 * With {@code -Dprobe.layers=true} it also prints every step's CPU time.
 *
 * <pre>
 * mvn -q test-compile
 * java -cp target/classes:target/test-classes io.foldrt.backend.cpu.CpuPerfProbe [threads] [runs] [batches...]
 * </pre>
 */
public final class CpuPerfProbe {
    private CpuPerfProbe() {}

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        int[] batches = args.length > 2 ? Arrays.stream(args, 2, args.length).mapToInt(Integer::parseInt).toArray()
                : new int[] {1, 4, 8};
        Graph separate = resnet18();
        Graph folded = foldBatchNorm(separate);
        System.out.printf("resnet18: %d nodes with %d BatchNorm; folded: %d nodes with %d BatchNorm%n",
                separate.nodes().size(), countBatchNorm(separate), folded.nodes().size(), countBatchNorm(folded));
        System.out.printf("java %s, %d threads, %d cores, load average before: %s%n",
                Runtime.version(), threads, Runtime.getRuntime().availableProcessors(), loadAverage());
        try (CpuBackend cpu = new CpuBackend(threads)) {
            for (int batch : batches) {
                Map<String, Tensor> in = Oracle.inputs(separate, batch, 42);
                try (CpuExecutable sep = cpu.compile(separate, batch); CpuExecutable fold = cpu.compile(folded, batch)) {
                    checkAgreement(sep.run(in), fold.run(in));
                    int warmup = batch == 1 ? 15 : 5;
                    for (int i = 0; i < warmup; i++) {
                        sep.run(in);
                        fold.run(in);
                    }
                    double[] ts = new double[runs], tf = new double[runs], cs = new double[runs], cf = new double[runs];
                    long[] workers = workerThreadIds();
                    long cpu0 = cpuNanos(workers), wall0 = System.nanoTime();
                    for (int i = 0; i < runs; i++) { // alternate, so background load hits both variants alike
                        long c0 = cpuNanos(workers);
                        ts[i] = timeOnce(sep, in);
                        long c1 = cpuNanos(workers);
                        tf[i] = timeOnce(fold, in);
                        cs[i] = (c1 - c0) / 1e6;
                        cf[i] = (cpuNanos(workers) - c1) / 1e6;
                    }
                    double cores = (cpuNanos(workers) - cpu0) / (double) (System.nanoTime() - wall0);
                    Stats s = Stats.of(ts), f = Stats.of(tf), scpu = Stats.of(cs), fcpu = Stats.of(cf);
                    System.out.printf("batch %d  separate BN: median %7.1f ms  p99 %7.1f ms  (min %6.1f)%n",
                            batch, s.median, s.p99, s.min);
                    double[] paired = new double[runs];
                    for (int i = 0; i < runs; i++) paired[i] = ts[i] / tf[i];
                    System.out.printf("batch %d  folded BN:   median %7.1f ms  p99 %7.1f ms  (min %6.1f)"
                                    + "  -> folded speedup %.3fx (medians), %.3fx (mins), %.3fx (median of paired runs)%n",
                            batch, f.median, f.p99, f.min, s.median / f.median, s.min / f.min, Stats.of(paired).median);
                    System.out.printf("batch %d  CPU time per run (caller + workers): separate median %.2f ms (min %.2f),"
                            + " folded median %.2f ms (min %.2f) -> folded saves %.1f%% of the work (%.3fx; %.3fx by mins)%n",
                            batch, scpu.median, scpu.min, fcpu.median, fcpu.min, 100 * (1 - fcpu.median / scpu.median),
                            scpu.median / fcpu.median, scpu.min / fcpu.min);
                    System.out.printf("batch %d  CPU obtained while timing: %.2f of %d threads' worth (the rest went to"
                            + " other processes); load average now %s%n", batch, cores, threads, loadAverage());
                    System.out.printf("batch %d  planned activation buffers: separate %.1f MiB, folded %.1f MiB;"
                            + " per-worker scratch %.1f MiB total%n", batch, sep.plannedActivationBytes() / 1048576.0,
                            fold.plannedActivationBytes() / 1048576.0, fold.workspaceBytes() / 1048576.0);
                    profile("separate", sep, in, batch, workers);
                    profile("folded", fold, in, batch, workers);
                }
            }
        }
        System.out.printf("load average after: %s%n", loadAverage());
    }

    private static long countBatchNorm(Graph g) {
        return g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).count();
    }

    private static double timeOnce(CpuExecutable exe, Map<String, Tensor> in) {
        long t0 = System.nanoTime();
        exe.run(in);
        return (System.nanoTime() - t0) / 1e6;
    }

    /**
     * Per-op-type split of the CPU time, and GFLOP/s of the GEMM convolutions: per wall-clock second (what a
     * caller sees, load included) and per CPU-second of this process's threads (the kernels' own speed).
     */
    private static void profile(String label, CpuExecutable exe, Map<String, Tensor> in, int batch, long[] workers) {
        int iters = batch == 1 ? 10 : 3;
        long[] wall = exe.profile(in, 1, iters, System::nanoTime);
        long[] nanos = exe.profile(in, 0, iters, () -> cpuNanos(workers));
        List<Step> steps = exe.steps();
        Map<String, Long> byKind = new LinkedHashMap<>();
        long convNanos = 0, convWall = 0, convFlops = 0, total = 0;
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            byKind.merge(s.getClass().getSimpleName(), nanos[i], Long::sum);
            total += nanos[i];
            if (s instanceof ConvStep c) {
                convNanos += nanos[i];
                convWall += wall[i];
                convFlops += c.flops();
            }
        }
        if (Boolean.getBoolean("probe.layers")) {
            List<String> labels = exe.stepLabels();
            for (int i = 0; i < steps.size(); i++) {
                double ms = nanos[i] / 1e6 / iters; // CPU time
                String rate = steps.get(i) instanceof ConvStep c ? String.format("%6.1f GFLOP/s", c.flops() / ms / 1e6) : "";
                System.out.printf("    %-32s %7.3f ms %s%n", labels.get(i), ms, rate);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (var e : byKind.entrySet()) {
            sb.append(String.format(" %s %.1f%%", e.getKey().replace("Step", ""), 100.0 * e.getValue() / total));
        }
        System.out.printf("batch %d  %-8s conv GEMM %.2f GFLOP per pass: %.1f GFLOP/s wall, %.1f GFLOP/s per CPU-second;"
                + " CPU time split:%s%n", batch, label, convFlops / 1e9, convFlops * (double) iters / convWall,
                convFlops * (double) iters / convNanos, sb);
    }

    private static void checkAgreement(Map<String, Tensor> a, Map<String, Tensor> b) {
        float[] x = a.values().iterator().next().data(), y = b.values().iterator().next().data();
        double d2 = 0, r2 = 0;
        for (int i = 0; i < x.length; i++) {
            d2 += (x[i] - y[i]) * (double) (x[i] - y[i]);
            r2 += x[i] * (double) x[i];
        }
        System.out.printf("folded vs separate logits: relative L2 difference %.2e%n", Math.sqrt(d2 / r2));
    }

    /** ResNet-18 at 224x224: conv/BN without conv bias, as torchvision exports it. */
    static Graph resnet18() {
        var b = new GraphBuilder("resnet18", 18);
        String x = b.input("input", Shapes.BATCH, 3, 224, 224);
        String h = b.relu(b.batchNorm(b.conv(x, 64, 7, 7, Hw.of(2), Pads.of(3), Hw.ONE, 1, false)));
        h = b.maxPool(h, 3, 2, 1);
        int[] widths = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int block = 0; block < 2; block++) {
                int stride = stage > 0 && block == 0 ? 2 : 1;
                int c = widths[stage];
                String y = b.relu(b.batchNorm(b.conv(h, c, 3, 3, Hw.of(stride), Pads.of(1), Hw.ONE, 1, false)));
                y = b.batchNorm(b.conv(y, c, 3, 3, Hw.ONE, Pads.of(1), Hw.ONE, 1, false));
                String shortcut = stride == 1 ? h
                        : b.batchNorm(b.conv(h, c, 1, 1, Hw.of(stride), Pads.NONE, Hw.ONE, 1, false));
                h = b.relu(b.add(y, shortcut));
            }
        }
        b.output(b.linear(b.flatten(b.globalAveragePool(h)), 1000, true));
        return b.build();
    }

    /**
     * Folds every BatchNorm that directly follows a Conv read by nothing else: W'[m] = W[m] * s[m] and
     * b'[m] = (b[m] - mean[m]) * s[m] + beta[m] with s = gamma / sqrt(var + eps), in float64.
     */
    static Graph foldBatchNorm(Graph g) {
        Map<String, List<Node>> consumers = g.consumers();
        Map<String, Node> bnAfterConv = new HashMap<>(); // conv node name -> its BN
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.BatchNorm)) continue;
            Node p = g.producer(n.input(0));
            if (p != null && p.op() instanceof Op.Conv && consumers.get(p.output()).size() == 1
                    && !g.isGraphOutput(p.output())) {
                bnAfterConv.put(p.name(), n);
            }
        }
        Map<String, Tensor> inits = new LinkedHashMap<>(g.initializers());
        List<Node> nodes = new ArrayList<>();
        for (Node n : g.nodes()) {
            Node bn = bnAfterConv.get(n.name());
            if (n.op() instanceof Op.BatchNorm && bnAfterConv.containsValue(n)) continue;
            if (bn == null) {
                nodes.add(n);
                continue;
            }
            float[] w = inits.get(n.input(1)).data().clone();
            int[] ws = inits.get(n.input(1)).shape();
            float[] gamma = inits.get(bn.input(1)).data(), beta = inits.get(bn.input(2)).data();
            float[] mean = inits.get(bn.input(3)).data(), var = inits.get(bn.input(4)).data();
            double eps = ((Op.BatchNorm) bn.op()).epsilon();
            int m = ws[0], per = w.length / m;
            float[] bias = new float[m];
            for (int c = 0; c < m; c++) {
                double s = gamma[c] / Math.sqrt(var[c] + eps);
                for (int i = c * per; i < (c + 1) * per; i++) w[i] = (float) (w[i] * s);
                double b0 = n.input(2).isEmpty() ? 0 : inits.get(n.input(2)).data()[c];
                bias[c] = (float) ((b0 - mean[c]) * s + beta[c]);
            }
            String wName = n.name() + ".folded_weight", bName = n.name() + ".folded_bias";
            inits.put(wName, new Tensor(ws, w));
            inits.put(bName, Tensor.of(new int[] {m}, bias));
            nodes.add(new Node(n.name(), n.op(), List.of(n.input(0), wName, bName), List.of(bn.output())));
        }
        Graph out = new Graph(g.name() + "-folded", g.inputs(), g.outputs(), nodes, inits);
        Map<String, Tensor> used = new LinkedHashMap<>(); // drop the now unused weights and statistics
        for (Node n : out.nodes()) {
            for (String i : n.inputs()) if (inits.containsKey(i)) used.put(i, inits.get(i));
        }
        return out.withNodes(out.nodes(), used);
    }

    /** The calling thread and the backend's worker threads: everything that runs a forward pass. */
    private static long[] workerThreadIds() {
        return java.util.stream.LongStream.concat(java.util.stream.LongStream.of(Thread.currentThread().threadId()),
                Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("foldrt-cpu-"))
                        .mapToLong(Thread::threadId)).toArray();
    }

    /** Summed CPU time of {@code threads} (per-thread clocks, nanosecond resolution on Linux). */
    private static long cpuNanos(long[] threads) {
        var mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long id : threads) sum += Math.max(0, mx.getThreadCpuTime(id));
        return sum;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "n/a";
        }
    }

    private record Stats(double median, double p99, double min) {
        static Stats of(double[] t) {
            double[] s = t.clone();
            Arrays.sort(s);
            int n = s.length;
            double median = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
            double p99 = s[Math.min(n - 1, (int) Math.ceil(0.99 * n) - 1)];
            return new Stats(median, p99, s[0]);
        }
    }
}
