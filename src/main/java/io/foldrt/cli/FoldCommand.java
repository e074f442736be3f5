package io.foldrt.cli;

import io.foldrt.io.AtomicFiles;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.ModelTools;
import io.foldrt.runtime.PlanRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code foldrt fold}: writes an ONNX model with BatchNorm folded, and prints the per-layer report. */
@Command(name = "fold", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Folds BatchNorm into Conv/Linear weights of an ONNX model and writes the result as ONNX.")
final class FoldCommand extends CliCommand {
    @Parameters(index = "0", paramLabel = "IN.onnx", description = "The model to fold.")
    Path input;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT.onnx",
            description = "Where to write the folded model (never over IN.onnx).")
    Path output;

    @Option(names = "--report", paramLabel = "FILE.json", description = "Also write the fold report as JSON.")
    Path report;

    FoldCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        if (!Files.exists(input)) throw new ModelException(input + ": no such file");
        if (!Files.isRegularFile(input)) throw new ModelException(input + ": is not a file, expected an .onnx file");
        List<Path> targets = new ArrayList<>(List.of(output));
        if (report != null) targets.add(report);
        OutputPaths.check(targets, List.of(input));

        ModelTools tools = ctx.tools();
        Graph g = tools.importOnnx(input);
        int opset = tools.onnxOpset(input);
        ModelTools.Planned p = tools.plan(g, PlanRequest.defaults());
        FoldSummary r = p.report();
        out().println(r.toText());
        tools.exportOnnx(p.graph(), output, opset, input);
        if (report != null) {
            byte[] json = r.toJson().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(report, o -> o.write(json), input, output);
        }
        out().println("wrote " + output + " (opset " + opset + "): " + r.foldedCount() + " BatchNorm folded, "
                + r.keptCount() + " kept; parameters " + Fmt.count(r.parametersBefore()) + " -> "
                + Fmt.count(r.parametersAfter()) + (report != null ? "; report in " + report : ""));
        return 0;
    }
}
