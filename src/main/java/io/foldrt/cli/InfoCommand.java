package io.foldrt.cli;

import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ValueInfo;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.Session;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.StringJoiner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code foldrt info}: what a model is and what folding would do to it, without running it. The fold plan is a
 * planner dry run; the activation memory comes from compiling (not running) the folded model on the CPU.
 */
@Command(name = "info", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Shows a model's inputs, outputs and layers, which BatchNorms fold, and its memory needs.")
final class InfoCommand extends CliCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Zoo model name or .onnx file.")
    String model;

    @Option(names = "--batch", defaultValue = "1", paramLabel = "N",
            description = "Batch size for the activation memory figure (default: ${DEFAULT-VALUE}).")
    int batch;

    InfoCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        requireAtLeast(batch, 1, "--batch");
        Model m = loadModel(model);
        Graph g = m.graph();
        PrintWriter out = out();
        out.println("model       " + m.name() + m.sourceFile().map(p -> " (" + p + ")").orElse(" (model zoo)"));
        out.println("inputs      " + values(g.inputs()));
        out.println("outputs     " + values(g.outputs()));
        out.println("nodes       " + g.nodes().size() + ": " + opCounts(g));

        Model.Planned p = m.plan(PlanRequest.defaults());
        FoldSummary r = p.report();
        out.println("BatchNorm   " + (r.foldedCount() + r.keptCount() == 0 ? "none in this model"
                : r.foldedCount() + " fold into the layer before them, " + r.keptCount() + " stay separate"));
        long saved = r.parametersBefore() - r.parametersAfter();
        out.println("parameters  " + Fmt.count(r.parametersBefore()) + " before folding, " + Fmt.count(r.parametersAfter())
                + " after (" + (saved == 0 ? "unchanged" : (saved > 0 ? "-" : "+") + Fmt.count(Math.abs(saved))) + ")");
        out.println("memory      " + activationMemory(p.model()));
        out.println();
        out.println("fold plan (dry run, engine " + r.engineName() + "):");
        for (String line : r.toText().split("\\R")) out.println("  " + line);
        return 0;
    }

    /** The CPU backend's planned activation memory, or why there is no figure. */
    private String activationMemory(Model planned) {
        try (Session s = planned.session(Device.cpu(), sessionOptions(Map.of()))) {
            OptionalLong bytes = s.plannedActivationBytes(batch);
            return bytes.isPresent()
                    ? Fmt.bytes(bytes.getAsLong()) + " of activations at batch " + batch + " on " + s.deviceName()
                    : "activation memory not reported by " + s.deviceName();
        } catch (BackendUnavailableException e) {
            return "activation memory unknown: " + Main.oneLine(e.getMessage());
        }
    }

    private static String values(List<ValueInfo> vs) {
        StringJoiner j = new StringJoiner(", ");
        for (ValueInfo v : vs) j.add(v.toString());
        return j.toString();
    }

    /** "Conv 20, BatchNormalization 20, Relu 17": most frequent first, then by name. */
    static String opCounts(Graph g) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (Node n : g.nodes()) counts.merge(n.op().type(), 1, Integer::sum);
        List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
        sorted.sort(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        StringJoiner j = new StringJoiner(", ");
        for (var e : sorted) j.add(e.getKey() + " " + e.getValue());
        return j.toString();
    }
}
