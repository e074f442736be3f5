package io.foldrt.runtime;

import io.foldrt.ir.Graph;
import io.foldrt.onnx.OnnxExporter;
import io.foldrt.onnx.OnnxImporter;
import io.foldrt.plan.FoldReport;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.PlanResult;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.nio.file.Path;
import java.util.List;

/** The real {@link ModelTools}: the model zoo, the ONNX importer and exporter, and the fold planner. */
final class StandardModelTools implements ModelTools {
    static final StandardModelTools INSTANCE = new StandardModelTools();

    private StandardModelTools() {}

    @Override
    public List<String> zooNames() {
        return ModelZoo.names();
    }

    @Override
    public Graph zooModel(String name) {
        return ModelZoo.build(name);
    }

    @Override
    public Graph importOnnx(Path file) {
        return OnnxImporter.load(file);
    }

    @Override
    public int onnxOpset(Path file) {
        return OnnxImporter.opsetOf(file);
    }

    @Override
    public void exportOnnx(Graph graph, Path out, int opset, Path... inputsNotToOverwrite) {
        OnnxExporter.write(graph, out, opset, inputsNotToOverwrite);
    }

    @Override
    public Planned plan(Graph graph, PlanRequest request) {
        PlanOptions o = (request.fold() ? PlanOptions.defaults() : PlanOptions.unfolded()).withProbe(request.probe());
        if (request.engine() != null) o = o.withEngine(request.engine());
        PlanResult r = Planner.plan(graph, o);
        return new Planned(r.graph(), summary(r.report()));
    }

    /** Adapts the planner's report; kept here so io.foldrt.plan does not depend on the runtime above it. */
    private static FoldSummary summary(FoldReport r) {
        return new FoldSummary() {
            public int foldedCount() { return r.foldedCount(); }
            public int keptCount() { return r.keptCount(); }
            public long parametersBefore() { return r.parametersBefore(); }
            public long parametersAfter() { return r.parametersAfter(); }
            public double maxAbsError() { return r.maxAbsError(); }
            public double maxRelError() { return r.maxRelError(); }
            public double foldMillis() { return r.foldMillis(); }
            public String engineName() { return r.engineName(); }
            public String toText() { return r.toText(); }
            public String toJson() { return r.toJson(); }
        };
    }
}
