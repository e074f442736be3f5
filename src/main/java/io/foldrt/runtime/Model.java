package io.foldrt.runtime;

import io.foldrt.backend.Backend;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A model: a name and an immutable graph, loaded from the model zoo or an ONNX file. Planning returns a new
 * {@code Model}; a session runs one on a device.
 *
 * <pre>
 * Model.Planned p = Model.load("resnet18").plan(PlanRequest.defaults());
 * System.out.println(p.report().toText());
 * try (Session s = p.model().session(Device.auto())) {
 *     Map&lt;String, Tensor&gt; out = s.run(Map.of("input", image));
 * }
 * </pre>
 *
 * A session runs the graph exactly as it is: {@link #load} does not fold; call {@link #plan} first.
 */
public final class Model {
    private final String name;
    private final Graph graph;
    private final Path source;
    private final ModelTools tools;

    private Model(String name, Graph graph, Path source, ModelTools tools) {
        this.name = name;
        this.graph = graph;
        this.source = source;
        this.tools = tools;
    }

    /** A planned model and the report of what planning folded. */
    public record Planned(Model model, FoldSummary report) {}

    /** Loads a zoo model by name or an ONNX file by path (see {@link #load(String, ModelTools)}). */
    public static Model load(String zooNameOrOnnxPath) {
        return load(zooNameOrOnnxPath, ModelTools.standard());
    }

    /**
     * Loads {@code ref} as an ONNX file when it ends with {@code .onnx} or names an existing file, else as a zoo
     * model name.
     *
     * @throws ModelException for a missing or unreadable file, an invalid ONNX model, or a name that is neither a
     *                        file nor a zoo model (the message lists the zoo)
     */
    public static Model load(String ref, ModelTools tools) {
        Objects.requireNonNull(tools, "tools");
        if (ref == null || ref.isBlank()) throw new ModelException("no model given (expected a zoo model name or an .onnx file)");
        Path file = asPath(ref);
        if (file != null && (ref.toLowerCase(Locale.ROOT).endsWith(".onnx") || Files.isRegularFile(file))) {
            return fromFile(file, tools);
        }
        List<String> zoo = tools.zooNames();
        if (!zoo.contains(ref)) {
            throw new ModelException("unknown model '" + ref + "': not a file and not a zoo model (zoo: "
                    + String.join(", ", zoo) + ")");
        }
        return new Model(ref, tools.zooModel(ref), null, tools);
    }

    /** Wraps a graph built in code. */
    public static Model of(String name, Graph graph) {
        return of(name, graph, ModelTools.standard());
    }

    public static Model of(String name, Graph graph, ModelTools tools) {
        return new Model(Objects.requireNonNull(name), Objects.requireNonNull(graph), null, Objects.requireNonNull(tools));
    }

    public String name() {
        return name;
    }

    public Graph graph() {
        return graph;
    }

    /** The ONNX file this model was loaded from, if any. */
    public Optional<Path> sourceFile() {
        return Optional.ofNullable(source);
    }

    /** Plans this model (folds BatchNorm unless {@code request} says otherwise); this model is unchanged. */
    public Planned plan(PlanRequest request) {
        ModelTools.Planned p = tools.plan(graph, request);
        return new Planned(new Model(name, p.graph(), source, tools), p.report());
    }

    /** Opens a session on {@code device} with default options. */
    public Session session(Device device) {
        return session(device, SessionOptions.defaults());
    }

    /**
     * Opens the device's backend and returns a session that owns it.
     *
     * @throws io.foldrt.backend.BackendUnavailableException when the device cannot be used here
     */
    public Session session(Device device, SessionOptions options) {
        Backend b = options.opener().open(device, options.backendOptions(), options.notices());
        return new Session(name, graph, b, options.maxCachedBatchSizes());
    }

    private static Model fromFile(Path file, ModelTools tools) {
        if (!Files.exists(file)) throw new ModelException(file + ": no such file");
        if (Files.isDirectory(file)) throw new ModelException(file + ": is a directory, expected an .onnx file");
        if (!Files.isReadable(file)) throw new ModelException(file + ": cannot read (permission denied)");
        String fileName = file.getFileName().toString();
        String name = fileName.toLowerCase(Locale.ROOT).endsWith(".onnx")
                ? fileName.substring(0, fileName.length() - 5) : fileName;
        return new Model(name, tools.importOnnx(file), file, tools);
    }

    private static Path asPath(String ref) {
        try {
            return Path.of(ref);
        } catch (InvalidPathException e) {
            return null; // cannot be a file; may still be a zoo name
        }
    }

    @Override
    public String toString() {
        return "Model[" + name + "]";
    }
}
