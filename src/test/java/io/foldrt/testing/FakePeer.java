package io.foldrt.testing;

import io.foldrt.backend.Executable;
import io.foldrt.peer.PeerEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A peer engine for CLI tests: reads the "ONNX" file through {@link FakeModelTools} and runs it on a
 * {@link ReferenceProvider} backend. Records what it was asked to open.
 */
public final class FakePeer implements PeerEngine {
    public record Opened(Path file, String variant, int threads, int batch, boolean fileExisted) {}

    public final List<Opened> opened = new CopyOnWriteArrayList<>();
    public final ReferenceProvider engine = new ReferenceProvider("fake");
    private final FakeModelTools tools;

    public FakePeer(FakeModelTools tools) {
        this.tools = tools;
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public String description() {
        return "Fake peer 1.0";
    }

    @Override
    public List<Variant> variants() {
        return List.of(new Variant("PLAIN", false, "BatchNorm as its own operator"),
                new Variant("FUSED", true, "Conv+BatchNorm fused"));
    }

    @Override
    public Executable open(Path onnxFile, Variant variant, int threads, int batch) {
        opened.add(new Opened(onnxFile, variant.name(), threads, batch, Files.isRegularFile(onnxFile)));
        return engine.open(0, Map.of()).compile(tools.importOnnx(onnxFile), batch);
    }
}
