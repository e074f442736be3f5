package io.foldrt.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.foldrt.backend.Backend;
import io.foldrt.backend.cpu.CpuBackend;
import io.foldrt.io.AtomicFiles;
import io.foldrt.peer.PeerEngine;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code foldrt bench}: latency with BatchNorm separate versus folded (and peer engines), measured in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures latency with BatchNorm as separate layers and folded, on the same inputs, for one or",
                "more models and batch sizes; optionally next to peer engines on the same ONNX file.",
                "All sides are timed in interleaved rounds after a warm-up; progress goes to stderr."})
final class BenchCommand extends CliCommand {
    @Parameters(arity = "0..*", split = ",", paramLabel = "MODEL", description = "Zoo model names or .onnx files.")
    List<String> modelArgs = new ArrayList<>();

    @Option(names = "--model", split = ",", paramLabel = "NAME", description = "Models, comma-separated, instead of MODEL.")
    List<String> modelOption = new ArrayList<>();

    @Option(names = "--batch", split = ",", defaultValue = "1", paramLabel = "N",
            description = "Batch sizes, comma-separated, e.g. 1,8,32 (default: ${DEFAULT-VALUE}).")
    List<Integer> batches;

    @Option(names = {"-d", "--device"}, defaultValue = "auto", converter = DeviceConverter.class, paramLabel = "DEVICE",
            description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}; with --peers, auto means cpu).")
    Device device;

    @Option(names = "--iters", defaultValue = "50", paramLabel = "N",
            description = "Timed passes per side and trial (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N",
            description = "Untimed passes per side before a trial's timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "10", paramLabel = "N",
            description = "Interleaved rounds the timed passes are split into (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--trials", defaultValue = "1", paramLabel = "N",
            description = "Repeat the measurement N times, compiling afresh each time (default: ${DEFAULT-VALUE}).")
    int trials;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the random inputs and of the bootstrap (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--bootstrap", defaultValue = "2000", paramLabel = "N",
            description = "Bootstrap resamples for the 95%% confidence intervals (default: ${DEFAULT-VALUE}).")
    int resamples;

    @Option(names = "--layers", description = "Also time every layer of both FoldRT sides: where the BatchNorm time went.")
    boolean layers;

    @Option(names = "--peers", split = ",", paramLabel = "ENGINE",
            description = "Peer engines to time on the same ONNX file, e.g. ort (ONNX Runtime; see docs/cli.md).")
    List<String> peerNames = new ArrayList<>();

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    @Option(names = "--markdown", paramLabel = "FILE", description = "Also write the results as Markdown tables.")
    Path markdown;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "Also draw the latency distributions as a PNG.")
    Path chart;

    @Option(names = {"-O", "--backend-option"}, paramLabel = "KEY=VALUE",
            description = "Backend option, e.g. cpu.threads=4 (see docs/cli.md).")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    BenchCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        List<String> refs = modelRefs();
        Benchmark.Config cfg = config();
        Device dev = peerNames.isEmpty() || device.kind() != Device.Kind.AUTO ? device : Device.cpu();
        if (!peerNames.isEmpty() && dev.kind() == Device.Kind.CUDA) {
            throw badParameter("--peers compares CPU engines; use --device cpu (or auto)");
        }
        List<Model> models = new ArrayList<>();
        for (String ref : refs) models.add(loadModel(ref));
        List<Path> protect = new ArrayList<>();
        for (Model m : models) m.sourceFile().ifPresent(protect::add);
        List<Path> outputs = Stream.of(json, markdown, chart).filter(p -> p != null).toList();
        OutputPaths.check(outputs, protect);
        List<PeerEngine> engines = peerNames.stream().distinct().map(ctx.peers()::find).toList();

        PrintWriter err = err();
        Path tmp = engines.isEmpty() ? null : tempDir();
        try {
            List<Benchmark.Subject> subjects = new ArrayList<>();
            for (Model m : models) subjects.add(subject(m, tmp));
            BenchReport report;
            try (Backend backend = ctx.backends().open(dev, backendOptions, n -> err.println("foldrt: " + n))) {
                int threads = backend instanceof CpuBackend cpu ? cpu.threads() : Runtime.getRuntime().availableProcessors();
                List<Benchmark.Peer> peers = new ArrayList<>();
                for (PeerEngine e : engines) for (PeerEngine.Variant v : e.variants()) peers.add(new Benchmark.Peer(e, v));
                List<Benchmark.CaseResult> cases = Benchmark.run(subjects, backend, peers, threads, cfg,
                        p -> err.println("  " + p), r -> print(r, out()));
                report = new BenchReport(MachineInfo.current(commandLine()), cfg, backend.name(), threads,
                        engines.stream().map(e -> e.name() + " = " + e.description()).toList(), cases);
            }
            if (cfg.batches().size() * models.size() > 1) printSummary(report, out());
            writeOutputs(report, protect);
        } finally {
            if (tmp != null) deleteTree(tmp);
        }
        return 0;
    }

    private List<String> modelRefs() {
        if (!modelArgs.isEmpty() && !modelOption.isEmpty()) throw badParameter("give models as MODEL or --model, not both");
        List<String> refs = (modelArgs.isEmpty() ? modelOption : modelArgs).stream().map(String::strip).toList();
        if (refs.isEmpty()) throw badParameter("missing model: give MODEL or --model NAME[,NAME...]");
        for (String r : refs) if (r.isEmpty()) throw badParameter("--model: empty model name in the list");
        return refs.stream().distinct().toList();
    }

    private Benchmark.Config config() {
        if (batches.isEmpty()) throw badParameter("--batch: give at least one batch size");
        for (int b : batches) requireAtLeast(b, 1, "--batch");
        requireAtLeast(iters, 1, "--iters");
        requireAtLeast(warmup, 0, "--warmup");
        requireAtLeast(rounds, 1, "--rounds");
        requireAtLeast(trials, 1, "--trials");
        requireAtLeast(resamples, 1, "--bootstrap");
        if (chart != null && !chart.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            throw badParameter("--chart: the chart is a PNG; give a file name ending in .png, got '" + chart + "'");
        }
        return new Benchmark.Config(batches.stream().distinct().toList(), warmup, iters, rounds, trials, seed, layers,
                resamples);
    }

    /**
     * Plans the model both ways. With peers, every engine must read the same ONNX file: a zoo model is exported
     * first and FoldRT imports that file back, so all sides run the same bytes.
     */
    private Benchmark.Subject subject(Model m, Path tmp) {
        Path onnx = m.sourceFile().orElse(null);
        if (tmp != null && onnx == null) {
            onnx = tmp.resolve(m.name() + ".onnx");
            ctx.tools().exportOnnx(m.graph(), onnx, 13);
            m = Model.load(onnx.toString(), ctx.tools());
        }
        return new Benchmark.Subject(m.name(), m.plan(PlanRequest.unfolded()).model().graph(), m.plan(PlanRequest.defaults()),
                onnx);
    }

    /** Renders every output first, then writes each atomically: a failure before the end writes nothing. */
    private void writeOutputs(BenchReport report, List<Path> protect) {
        ObjectNode j = BenchJson.toJson(report);
        Map<Path, byte[]> files = new LinkedHashMap<>();
        if (json != null) files.put(json, BenchJson.bytes(j));
        if (markdown != null) files.put(markdown, BenchMarkdown.render(j).getBytes(StandardCharsets.UTF_8));
        if (chart != null) files.put(chart, BenchChart.png(j));
        Path[] inputs = protect.toArray(Path[]::new);
        files.forEach((path, bytes) -> {
            AtomicFiles.write(path, out -> out.write(bytes), inputs);
            out().println("wrote " + path);
        });
    }

    private String commandLine() {
        String given = System.getenv("FOLDRT_COMMAND");
        if (given != null && !given.isBlank()) return given.strip();
        return "foldrt " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    static void print(Benchmark.CaseResult r, PrintWriter out) {
        out.println(r.model() + ", batch " + r.batch() + ", on " + r.device() + " (" + r.separate().count()
                + " timed passes per side)");
        out.printf(Locale.ROOT, "%-14s %10s %10s %10s %10s%n", "latency (ms)", "median", "p90", "p99", "mean");
        for (Benchmark.SideResult s : r.sides()) {
            row(out, s.name().equals(Benchmark.SEPARATE) ? "separate BN" : s.name(), s.stats());
        }
        Bootstrap.Interval sp = r.speedup();
        out.printf(Locale.ROOT, "speedup        %.2fx (median separate / median folded), 95%% CI %.2f-%.2f%n",
                sp.estimate(), sp.low(), sp.high());
        if (r.separate().count() > 0 && r.side(Benchmark.SEPARATE).trialMedians().length > 1) {
            double[] a = r.side(Benchmark.SEPARATE).trialMedians(), b = r.side(Benchmark.FOLDED).trialMedians();
            Spread speedups = Spread.ofRatios(a, b);
            out.printf(Locale.ROOT, "trials         %d; speedup of the trial medians ranges %.2fx-%.2fx%n", a.length,
                    speedups.min(), speedups.max());
            StringBuilder line = new StringBuilder("trial medians ");
            for (Benchmark.SideResult s : r.sides()) {
                if (s.trialMedians().length < 2) continue;
                Spread m = Spread.of(s.trialMedians());
                line.append(String.format(Locale.ROOT, " %s %.3f-%.3f ms (spread %.1f%%);", s.name(), m.min(), m.max(),
                        m.percent()));
            }
            out.println(line.substring(0, line.length() - 1));
        }
        for (Benchmark.Ratio q : r.peerRatios()) {
            Bootstrap.Interval i = q.interval();
            out.printf(Locale.ROOT, "vs peer        %s / %s = %.2f, 95%% CI %.2f-%.2f (below 1: FoldRT faster)%n",
                    q.numerator(), q.denominator(), i.estimate(), i.low(), i.high());
        }
        FoldSummary f = r.report();
        out.println("fold           " + f.foldedCount() + " BatchNorm folded, " + f.keptCount() + " kept; parameters "
                + Fmt.count(f.parametersBefore()) + " -> " + Fmt.count(f.parametersAfter()) + "; "
                + Fmt.ms(f.foldMillis()) + " ms on " + f.engineName());
        StringBuilder diffs = new StringBuilder();
        r.outputDiffs().forEach((side, d) -> diffs.append(diffs.isEmpty() ? "" : ", ").append(side).append(' ')
                .append(Fmt.error(d)));
        out.println("max error      " + Fmt.error(f.maxAbsError()) + " abs, " + Fmt.error(f.maxRelError())
                + " rel (planner probe); outputs on the bench input differ from separate by " + diffs);
        if (r.layers() != null) printLayers(r.layers(), out);
    }

    private static void printLayers(Benchmark.LayerTimes l, PrintWriter out) {
        Map<String, Double> a = Benchmark.LayerTimes.byType(l.separate(), l.opTypes());
        Map<String, Double> b = Benchmark.LayerTimes.byType(l.folded(), l.opTypes());
        out.printf(Locale.ROOT, "%-20s %10s %10s %10s  (per-layer profile, mean ms per pass)%n", "by operator", "separate",
                "folded", "change");
        List<String> types = new ArrayList<>(a.keySet());
        for (String t : b.keySet()) if (!types.contains(t)) types.add(t);
        types.sort(Comparator.comparingDouble((String t) -> -Math.max(a.getOrDefault(t, 0.0), b.getOrDefault(t, 0.0))));
        for (String t : types) {
            double x = a.getOrDefault(t, 0.0), y = b.getOrDefault(t, 0.0);
            out.printf(Locale.ROOT, "  %-18s %10s %10s %+10.3f%n", t, Fmt.ms(x), Fmt.ms(y), y - x);
        }
    }

    private static void printSummary(BenchReport report, PrintWriter out) {
        out.println("summary (median ms; speedup = separate / folded, 95% CI)");
        for (Benchmark.CaseResult r : report.cases()) {
            Bootstrap.Interval sp = r.speedup();
            out.printf(Locale.ROOT, "  %-18s batch %-4d separate %10s  folded %10s  %.2fx [%.2f, %.2f]%n", r.model(),
                    r.batch(), Fmt.ms(r.separate().median()), Fmt.ms(r.folded().median()), sp.estimate(), sp.low(),
                    sp.high());
        }
    }

    private static void row(PrintWriter out, String label, Stats s) {
        out.printf(Locale.ROOT, "%-14s %10s %10s %10s %10s%n", label, Fmt.ms(s.median()), Fmt.ms(s.p90()),
                Fmt.ms(s.p99()), Fmt.ms(s.mean()));
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("foldrt-bench-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary directory for the ONNX files", e);
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            // a leftover temporary directory is not worth failing a finished benchmark for
        }
    }
}
