package io.foldrt.bench;

import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import java.util.Map;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What every benchmark that times one compiled graph shares: the backend, the graph compiled for one batch size,
 * its inputs, the timed forward pass and the cleanup. Subclasses build their graph in their own trial setup and
 * hand it to {@link #open}; JMH runs the inherited {@link #forward} under each subclass's name.
 */
@State(Scope.Benchmark)
public abstract class GraphBench {
    /** "cpu" or "cuda" (bench/run passes cuda only when a GPU is usable). */
    @Param("cpu")
    public String device;

    /** CPU worker threads; 0 = all cores. */
    @Param("0")
    public int threads;

    private Backend backend;
    private Executable exe;
    private Map<String, Tensor> inputs;

    /** Compiles {@code g} for {@code batch} on {@link #device} and makes its random inputs. */
    protected final void open(Graph g, int batch) {
        backend = Engines.open(device, threads);
        exe = backend.compile(g, batch);
        inputs = Engines.inputs(g, batch);
    }

    @Benchmark
    public Map<String, Tensor> forward() {
        return exe.run(inputs);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        exe.close();
        backend.close();
    }
}
