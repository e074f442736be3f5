package io.foldrt.cli;

import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Model;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code foldrt demo}: a short benchmark of ResNet-18 with a table a newcomer can read. */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Benchmarks ResNet-18 at batch 1 on the best device and explains what folding changed.")
final class DemoCommand extends CliCommand {
    @Option(names = "--model", defaultValue = "resnet18", paramLabel = "NAME",
            description = "Model to demonstrate (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = {"-d", "--device"}, defaultValue = "auto", converter = DeviceConverter.class, paramLabel = "DEVICE",
            description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(names = "--iters", defaultValue = "20", paramLabel = "N", description = "Timed passes per side (default: ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N", description = "Warm-up passes per side (default: ${DEFAULT-VALUE}).")
    int warmup;

    DemoCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        requireAtLeast(iters, 1, "--iters");
        requireAtLeast(warmup, 0, "--warmup");
        Model m = loadModel(model);
        PrintWriter err = err();
        err.println("foldrt: measuring " + m.name() + " twice, BatchNorm separate and folded; progress below...");
        Benchmark.CaseResult r = Benchmark.single(m, device, Map.of(),
                new Benchmark.Config(List.of(1), warmup, iters, 5, 1, 42, false, Bootstrap.DEFAULT_RESAMPLES),
                ctx.backends(), n -> err.println("foldrt: " + n), p -> err.println("  " + p));
        explain(r, out());
        return 0;
    }

    static void explain(Benchmark.CaseResult r, PrintWriter out) {
        FoldSummary f = r.report();
        out.println("FoldRT demo: " + r.model() + ", batch 1, on " + r.device());
        out.println();
        out.println("A BatchNorm layer rescales each channel with four numbers learned in training (mean, variance,");
        out.println("scale, shift). At inference they are constants, so FoldRT folds them into the weights and bias of");
        out.println("the Conv or Linear layer just before: the same results, with one pass over the data fewer per layer.");
        out.println();
        out.printf(Locale.ROOT, "  %-26s %14s %14s%n", "", "BatchNorm", "BatchNorm");
        out.printf(Locale.ROOT, "  %-26s %14s %14s%n", "", "separate", "folded");
        out.printf(Locale.ROOT, "  %-26s %14d %14d%n", "BatchNorm layers run", r.batchNormsSeparate(), r.batchNormsFolded());
        out.printf(Locale.ROOT, "  %-26s %14s %14s%n", "parameters", Fmt.count(f.parametersBefore()),
                Fmt.count(f.parametersAfter()));
        out.printf(Locale.ROOT, "  %-26s %14s %14s%n", "latency, median (ms)", Fmt.ms(r.separate().median()),
                Fmt.ms(r.folded().median()));
        out.printf(Locale.ROOT, "  %-26s %14s %14s%n", "latency, p90 (ms)", Fmt.ms(r.separate().p90()),
                Fmt.ms(r.folded().p90()));
        out.println();
        out.printf(Locale.ROOT, "  speedup: %.2fx  (median separate / median folded; above 1 means folding is faster;"
                + " 95%% CI %.2f-%.2f)%n", r.speedup().estimate(), r.speedup().low(), r.speedup().high());
        out.println("  folded: " + f.foldedCount() + " BatchNorm layers into the layer before them; " + f.keptCount()
                + " kept separate (see 'foldrt info " + r.model() + "' for why)");
        out.println("  largest difference between folded and separate outputs: " + Fmt.error(r.outputDiffs().get(Benchmark.FOLDED))
                + " on this input, " + Fmt.error(f.maxAbsError()) + " by the planner's probe (float32 rounding)");
        out.println();
        out.println("Next: 'foldrt bench " + r.model() + " --batch 8' for more detail, 'foldrt run' on your own .npy input.");
    }
}
