package io.foldrt.runtime;

import io.foldrt.ir.Graph;
import java.nio.file.Path;
import java.util.List;

/**
 * The runtime's one seam to the parts of FoldRT it builds on: the model zoo, ONNX import and export, and the
 * fold planner. Everything the runtime and CLI need from them goes through this interface, so both can be
 * built and tested on their own (tests pass a small fake). {@link #standard()} is the real wiring.
 */
public interface ModelTools {
    /** The result of planning: the planned graph and its fold report. */
    record Planned(Graph graph, FoldSummary report) {}

    /** The names {@link #zooModel} accepts, in display order. */
    List<String> zooNames();

    /** Builds a zoo model; an unknown name is a {@link io.foldrt.ir.ModelException}. */
    Graph zooModel(String name);

    /** Imports an ONNX file; problems are one-line {@link io.foldrt.ir.ModelException}s naming the file. */
    Graph importOnnx(Path file);

    /** The default-domain opset an ONNX file was written for. */
    int onnxOpset(Path file);

    /** Writes {@code graph} as ONNX atomically; refuses to write over any of {@code inputsNotToOverwrite}. */
    void exportOnnx(Graph graph, Path out, int opset, Path... inputsNotToOverwrite);

    /** Plans {@code graph}: folds BatchNorm (or not) as {@code request} says and reports what it did. */
    Planned plan(Graph graph, PlanRequest request);

    /** The model zoo, ONNX importer/exporter and planner of this build. */
    static ModelTools standard() {
        return StandardModelTools.INSTANCE;
    }
}
