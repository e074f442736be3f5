package io.foldrt.cli;

import io.foldrt.io.Npy;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.Inputs;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.Session;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code foldrt run}: one forward pass on .npy inputs. Everything that can be checked before the pass is checked
 * first (input files and shapes, output paths), so a bad argument never costs a run or a half-written file.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs a model once on .npy inputs and writes .npy outputs.",
                "Without --output, prints a summary of each output instead."})
final class RunCommand extends CliCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Zoo model name or .onnx file.")
    String model;

    @Option(names = {"-i", "--input"}, required = true, paramLabel = "[NAME=]FILE",
            description = "Input tensor (.npy, float32 or float64). Without NAME: the model's first input.")
    List<String> inputs;

    @Option(names = {"-o", "--output"}, paramLabel = "[NAME=]FILE",
            description = "Where to write an output (.npy float32). Without NAME: the model's first output.")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--no-fold", description = "Keep BatchNorm as separate layers.")
    boolean noFold;

    @Option(names = {"-d", "--device"}, defaultValue = "auto", converter = DeviceConverter.class,
            paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(names = {"-O", "--backend-option"}, paramLabel = "KEY=VALUE",
            description = "Backend option, e.g. cpu.threads=4 (see docs/cli.md).")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    RunCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        Model m = loadModel(model);
        Graph g = m.graph();
        List<ValueInfo> required = Inputs.required(g);
        Map<String, Path> inFiles = Bindings.bind(inputs, required, "--input");
        Bindings.requireAll(inFiles, required, "--input");
        Map<String, Path> outFiles = Bindings.bind(outputs, g.outputs(), "--output");

        List<Path> protect = new ArrayList<>(inFiles.values());
        m.sourceFile().ifPresent(protect::add);
        OutputPaths.check(outFiles.values(), protect);

        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (ValueInfo v : required) tensors.put(v.name(), Npy.read(inFiles.get(v.name()), v.shape()));
        int batch = Inputs.check(g, tensors); // batch sizes agree across input files

        // No probe: measuring the fold error is what bench and info are for; run only needs the graph.
        PlanRequest request = (noFold ? PlanRequest.unfolded() : PlanRequest.defaults()).withProbe(false);
        Model planned = m.plan(request).model();
        Map<String, Tensor> results;
        try (Session s = planned.session(device, sessionOptions(backendOptions))) {
            long t0 = System.nanoTime();
            s.prepare(batch);
            long t1 = System.nanoTime();
            results = s.run(tensors);
            long t2 = System.nanoTime();
            err().printf("foldrt: %s on %s, batch %d, BatchNorm %s: compiled in %s ms, ran in %s ms%n", m.name(),
                    s.deviceName(), batch, noFold ? "separate" : "folded", Fmt.ms((t1 - t0) / 1e6), Fmt.ms((t2 - t1) / 1e6));
        }

        if (outFiles.isEmpty()) {
            for (var e : results.entrySet()) out().println(summary(e.getKey(), e.getValue()));
        }
        Path[] protectArray = protect.toArray(Path[]::new);
        for (var e : outFiles.entrySet()) {
            Tensor t = results.get(e.getKey());
            Npy.write(e.getValue(), t, protectArray);
            out().println("wrote " + e.getValue() + " (" + e.getKey() + " " + Shapes.str(t.shape()) + ")");
        }
        return 0;
    }

    /** "name [1,5] min=... max=... mean=... [v0, v1, ...]". */
    static String summary(String name, Tensor t) {
        float[] d = t.data();
        StringBuilder sb = new StringBuilder(name).append(' ').append(Shapes.str(t.shape()));
        if (d.length > 0) {
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
            for (float v : d) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            sb.append(" min=").append(Fmt.general(min)).append(" max=").append(Fmt.general(max))
                    .append(" mean=").append(Fmt.general(sum / d.length)).append(" [");
            int shown = Math.min(d.length, 8);
            for (int i = 0; i < shown; i++) sb.append(i > 0 ? ", " : "").append(Fmt.general(d[i]));
            sb.append(d.length > shown ? ", ...]" : "]");
        }
        return sb.toString();
    }
}
