package io.foldrt.cli;

import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Model;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code foldrt bench}: latency with BatchNorm separate versus folded, measured in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measures latency with BatchNorm as separate layers and folded, on the same inputs.",
                "Both are timed in alternating rounds after a warm-up; progress goes to stderr."})
final class BenchCommand extends CliCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL", description = "Zoo model name or .onnx file.")
    String modelArg;

    @Option(names = "--model", paramLabel = "NAME", description = "The model, as an option instead of MODEL.")
    String modelOption;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N", description = "Batch size (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = {"-d", "--device"}, defaultValue = "auto", converter = DeviceConverter.class, paramLabel = "DEVICE",
            description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(names = "--iters", defaultValue = "50", paramLabel = "N",
            description = "Timed passes per side (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N",
            description = "Untimed passes per side before timing (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--rounds", defaultValue = "10", paramLabel = "N",
            description = "Alternating rounds the timed passes are split into (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the random inputs (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the result as JSON.")
    Path json;

    @Option(names = {"-O", "--backend-option"}, paramLabel = "KEY=VALUE",
            description = "Backend option, e.g. cpu.threads=4 (see docs/cli.md).")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    BenchCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        if (modelArg != null && modelOption != null) throw badParameter("give the model as MODEL or --model, not both");
        if (modelArg == null && modelOption == null) throw badParameter("missing model: give MODEL or --model NAME");
        requireAtLeast(batch, 1, "--batch");
        requireAtLeast(iters, 1, "--iters");
        requireAtLeast(warmup, 0, "--warmup");
        requireAtLeast(rounds, 1, "--rounds");
        Model m = loadModel(modelArg != null ? modelArg : modelOption);
        List<Path> protect = new ArrayList<>();
        m.sourceFile().ifPresent(protect::add);
        if (json != null) OutputPaths.check(List.of(json), protect);

        Benchmark.Config cfg = new Benchmark.Config(batch, warmup, iters, rounds, seed);
        PrintWriter err = err();
        Benchmark.Result r = Benchmark.run(m, device, backendOptions, cfg, ctx.backends(),
                n -> err.println("foldrt: " + n), p -> err.println("  " + p));
        print(r, out());
        if (json != null) {
            BenchJson.write(r, json, protect.toArray(Path[]::new));
            out().println("wrote " + json);
        }
        return 0;
    }

    static void print(Benchmark.Result r, PrintWriter out) {
        out.println(r.model() + ", batch " + r.config().batch() + ", on " + r.device() + " (" + r.separate().count()
                + " timed passes per side)");
        out.printf(Locale.ROOT, "%-14s %10s %10s %10s %10s%n", "latency (ms)", "median", "p90", "p99", "mean");
        row(out, "separate BN", r.separate());
        row(out, "folded", r.folded());
        out.printf(Locale.ROOT, "speedup        %.2fx (median separate / median folded)%n", r.speedup());
        FoldSummary f = r.report();
        out.println("fold           " + f.foldedCount() + " BatchNorm folded, " + f.keptCount() + " kept; parameters "
                + Fmt.count(f.parametersBefore()) + " -> " + Fmt.count(f.parametersAfter()) + "; "
                + Fmt.ms(f.foldMillis()) + " ms on " + f.engineName());
        out.println("max error      " + Fmt.error(f.maxAbsError()) + " abs, " + Fmt.error(f.maxRelError())
                + " rel (planner probe); outputs on the bench input differ by " + Fmt.error(r.outputMaxAbsDiff()));
    }

    private static void row(PrintWriter out, String label, Stats s) {
        out.printf(Locale.ROOT, "%-14s %10s %10s %10s %10s%n", label, Fmt.ms(s.median()), Fmt.ms(s.p90()),
                Fmt.ms(s.p99()), Fmt.ms(s.mean()));
    }
}
