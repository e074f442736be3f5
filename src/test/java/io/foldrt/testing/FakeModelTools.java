package io.foldrt.testing;

import io.foldrt.io.AtomicFiles;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Op;
import io.foldrt.runtime.ModelTools;
import io.foldrt.runtime.PlanRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * A stand-in for the model zoo, ONNX import/export and planner, which are built on other branches.
 * <ul>
 *   <li>Zoo: {@code tiny_cnn} and {@code two_inputs} from {@link TestModels}.</li>
 *   <li>"ONNX" files are text files holding a zoo name; export writes a text file describing the graph, which
 *       import reads back as that zoo model.</li>
 *   <li>Planning does not change the graph; it reports every BatchNorm as folded when asked to fold, and records
 *       each request so tests can check what the CLI asked for.</li>
 * </ul>
 */
public class FakeModelTools implements ModelTools {
    private static final Map<String, Supplier<Graph>> ZOO = Map.of(
            "tiny_cnn", TestModels::tinyCnn, "two_inputs", TestModels::twoInputs);

    private static final String FAKE_ONNX = "fake onnx: ";

    public final List<PlanRequest> planRequests = new CopyOnWriteArrayList<>();
    /** Files given to {@link #importOnnx}, in order. */
    public final List<Path> imported = new CopyOnWriteArrayList<>();

    @Override
    public List<String> zooNames() {
        return List.of("tiny_cnn", "two_inputs");
    }

    @Override
    public Graph zooModel(String name) {
        Supplier<Graph> s = ZOO.get(name);
        if (s == null) throw new ModelException("fake zoo has no model '" + name + "'");
        return s.get();
    }

    @Override
    public Graph importOnnx(Path file) {
        try {
            String name = Files.readString(file).strip();
            // What exportOnnx below writes reads back as the model it was exported from.
            if (name.startsWith(FAKE_ONNX)) name = name.substring(FAKE_ONNX.length(), name.indexOf(','));
            imported.add(file);
            if (!ZOO.containsKey(name)) throw new ModelException(file + ": not an ONNX model (fake importer)");
            return ZOO.get(name).get();
        } catch (IOException e) {
            throw new ModelException(file + ": cannot read", e);
        }
    }

    @Override
    public int onnxOpset(Path file) {
        return 13;
    }

    @Override
    public void exportOnnx(Graph graph, Path out, int opset, Path... inputsNotToOverwrite) {
        String text = FAKE_ONNX + graph.name() + ", opset " + opset + ", " + graph.nodes().size() + " nodes\n";
        AtomicFiles.write(out, o -> o.write(text.getBytes(StandardCharsets.UTF_8)), inputsNotToOverwrite);
    }

    @Override
    public Planned plan(Graph graph, PlanRequest request) {
        planRequests.add(request);
        int bn = (int) graph.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).count();
        long before = graph.parameterCount();
        FakeReport r = request.fold()
                ? new FakeReport(bn, 0, before, before - 4L * bn * 4, request.probe() ? 2.5e-7 : Double.NaN,
                        request.probe() ? 1.0e-6 : Double.NaN, 0.75, "fake engine")
                : new FakeReport(0, bn, before, before, Double.NaN, Double.NaN, 0.0, "fake engine");
        return new Planned(graph, r);
    }
}
