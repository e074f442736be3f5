package io.foldrt.runtime;

import io.foldrt.ir.Graph;
import java.nio.file.Path;
import java.util.List;

/**
 * The real {@link ModelTools}: delegates to {@code io.foldrt.zoo.ModelZoo}, {@code io.foldrt.onnx} and
 * {@code io.foldrt.plan.Planner}.
 *
 * <p>INTEGRATION PENDING: those packages are developed on other branches. Until they are merged each method
 * fails with an explicit message; the comment in each method is the intended body.
 */
final class StandardModelTools implements ModelTools {
    static final StandardModelTools INSTANCE = new StandardModelTools();

    private StandardModelTools() {}

    @Override
    public List<String> zooNames() {
        // return io.foldrt.zoo.ModelZoo.names();
        throw pending("io.foldrt.zoo.ModelZoo.names()");
    }

    @Override
    public Graph zooModel(String name) {
        // return io.foldrt.zoo.ModelZoo.build(name);
        throw pending("io.foldrt.zoo.ModelZoo.build(name)");
    }

    @Override
    public Graph importOnnx(Path file) {
        // return io.foldrt.onnx.OnnxImporter.load(file);
        throw pending("io.foldrt.onnx.OnnxImporter.load(file)");
    }

    @Override
    public int onnxOpset(Path file) {
        // return io.foldrt.onnx.OnnxImporter.opsetOf(file);
        throw pending("io.foldrt.onnx.OnnxImporter.opsetOf(file)");
    }

    @Override
    public void exportOnnx(Graph graph, Path out, int opset, Path... inputsNotToOverwrite) {
        // io.foldrt.onnx.OnnxExporter.write(graph, out, opset, inputsNotToOverwrite);
        throw pending("io.foldrt.onnx.OnnxExporter.write(graph, out, opset, inputs)");
    }

    @Override
    public Planned plan(Graph graph, PlanRequest request) {
        // PlanOptions o = request.fold() ? PlanOptions.defaults() : PlanOptions.unfolded();
        // o = o.withProbe(request.probe());
        // if (request.engine() != null) o = o.withEngine(request.engine());
        // PlanResult r = Planner.plan(graph, o);
        // return new Planned(r.graph(), summary(r.report()));
        // where summary(FoldReport) returns a FoldSummary delegating each method to the report (FoldReport has
        // all ten, with the same types; an adapter here keeps io.foldrt.plan free of a dependency on runtime).
        throw pending("io.foldrt.plan.Planner.plan(graph, options)");
    }

    private static UnsupportedOperationException pending(String what) {
        return new UnsupportedOperationException("this build of FoldRT is not wired to " + what + " yet");
    }
}
