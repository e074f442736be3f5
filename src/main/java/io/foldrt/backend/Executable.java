package io.foldrt.backend;

import io.foldrt.ir.Tensor;
import java.util.Map;

/** A graph compiled for one batch size on one backend. Not thread-safe: one call at a time. */
public interface Executable extends AutoCloseable {
    int batch();

    /** Runs a forward pass: inputs by graph input name, outputs by graph output name. */
    Map<String, Tensor> run(Map<String, Tensor> inputs);

    /**
     * Runs {@code warmup} untimed then {@code iters} timed forward passes on the same inputs and returns
     * each timed pass in milliseconds. Backends override this to time on the device (CUDA events) and to
     * keep inputs resident; the default times {@link #run} on the wall clock.
     */
    default double[] time(Map<String, Tensor> inputs, int warmup, int iters) {
        for (int i = 0; i < warmup; i++) run(inputs);
        double[] ms = new double[iters];
        for (int i = 0; i < iters; i++) {
            long t0 = System.nanoTime();
            run(inputs);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return ms;
    }

    @Override
    void close();
}
