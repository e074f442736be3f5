package io.foldrt.cli;

import io.foldrt.runtime.BackendOpener;
import io.foldrt.runtime.ModelTools;

/**
 * What the commands build on: the model tools (zoo, ONNX, planner) and the backend opener. The standard context
 * is the real one; tests run {@link Main#run(String[], java.io.PrintStream, java.io.PrintStream, CliContext)}
 * with fakes.
 */
public record CliContext(ModelTools tools, BackendOpener backends) {
    public static CliContext standard() {
        return new CliContext(ModelTools.standard(), BackendOpener.installed());
    }
}
