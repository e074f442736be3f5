package io.foldrt.backend;

import io.foldrt.ir.Graph;

/**
 * A device that can run graphs. {@link #compile} plans everything that depends on the batch size once
 * (buffers, descriptors, algorithms), so that {@link Executable#run} does only the work of a forward pass.
 * A backend owns its native resources and frees them in {@link #close()}.
 */
public interface Backend extends AutoCloseable {
    /** Short device name for reports, e.g. "cpu (16 threads)" or "cuda:0 NVIDIA H100". */
    String name();

    Executable compile(Graph graph, int batch);

    @Override
    void close();
}
