package io.foldrt.backend;

import io.foldrt.ir.Tensor;
import java.util.Map;

/** A graph compiled for one batch size on one backend. Not thread-safe: one call at a time. */
public interface Executable extends AutoCloseable {
    int batch();

    /** Runs a forward pass: inputs by graph input name, outputs by graph output name. */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    @Override
    void close();
}
