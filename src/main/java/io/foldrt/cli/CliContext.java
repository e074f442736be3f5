package io.foldrt.cli;

import io.foldrt.peer.PeerFinder;
import io.foldrt.runtime.BackendOpener;
import io.foldrt.runtime.ModelTools;

/**
 * What the commands build on: the model tools (zoo, ONNX, planner), the backend opener and the peer engines for
 * {@code bench --peers}. The standard context is the real one; tests run
 * {@link Main#run(String[], java.io.PrintStream, java.io.PrintStream, CliContext)} with fakes.
 */
public record CliContext(ModelTools tools, BackendOpener backends, PeerFinder peers) {
    /** A context with the peer engines installed on the class path. */
    public CliContext(ModelTools tools, BackendOpener backends) {
        this(tools, backends, PeerFinder.installed());
    }

    public static CliContext standard() {
        return new CliContext(ModelTools.standard(), BackendOpener.installed(), PeerFinder.installed());
    }
}
