package io.foldrt.runtime;

import io.foldrt.backend.Backend;
import io.foldrt.backend.ActivationMemory;
import io.foldrt.backend.Executable;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A model opened on one device, ready to run forward passes. Obtain one with {@link Model#session}.
 *
 * <p><b>Compilation.</b> The graph is compiled for a batch size the first time that batch size is run (or
 * {@link #prepare(int)}d) and the {@link Executable} is kept for later calls; at most
 * {@link SessionOptions#maxCachedBatchSizes()} are kept, the least recently used being freed first.
 *
 * <p><b>Threads.</b> A session may be shared by any number of threads. Calls are <em>serialized</em>: inputs are
 * validated concurrently, then one forward pass runs at a time, in arrival order (a fair lock). This is the
 * strongest guarantee the backend contract allows, since an {@link Executable} runs one call at a time and
 * executables of one backend may share device state (stream, workspace). Threads of the CPU backend already
 * use every core for one pass; to run passes in parallel on a GPU, open several sessions.
 *
 * <p><b>Ownership.</b> Input tensors are read during the call and not kept; the returned tensors are copies owned
 * by the caller. {@link #close()} waits for a running pass to finish, then frees every executable and the
 * backend; any later call throws {@link IllegalStateException}.
 */
public final class Session implements AutoCloseable {
    private final String modelName;
    private final Graph graph;
    private final Backend backend;
    private final String deviceName;
    private final int maxCached;
    private final ReentrantLock lock = new ReentrantLock(true);
    /** Compiled executables by batch size, in access order (eldest = least recently used); guarded by lock. */
    private final LinkedHashMap<Integer, Executable> compiled = new LinkedHashMap<>(8, 0.75f, true);
    private volatile boolean closed;

    /** Takes ownership of {@code backend}: it is closed with the session. */
    Session(String modelName, Graph graph, Backend backend, int maxCachedBatchSizes) {
        this.modelName = modelName;
        this.graph = graph;
        this.backend = backend;
        this.deviceName = backend.name();
        this.maxCached = maxCachedBatchSizes;
    }

    /** The backend's device name, e.g. "cpu (16 threads)" or "cuda:0 NVIDIA H100". */
    public String deviceName() {
        return deviceName;
    }

    /** The inputs {@link #run} expects; a {@link io.foldrt.ir.Shapes#BATCH} dimension takes any batch size. */
    public List<ValueInfo> inputs() {
        return Inputs.required(graph);
    }

    public List<ValueInfo> outputs() {
        return graph.outputs();
    }

    /**
     * Runs one forward pass.
     *
     * @param inputs every model input by name; the batch size is read from the batch dimension
     * @return every model output by name, in the graph's output order
     * @throws io.foldrt.ir.ModelException when an input is missing, unknown or has the wrong shape
     * @throws IllegalStateException       when the session is closed
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        ensureOpen();
        int batch = Inputs.check(graph, inputs);
        lock.lock();
        try {
            ensureOpen(); // closed while this call waited for the lock
            Map<String, Tensor> raw = executable(batch).run(inputs);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (ValueInfo v : graph.outputs()) {
                Tensor t = raw.get(v.name());
                if (t == null) {
                    throw new IllegalStateException("backend " + deviceName + " returned no output '" + v.name() + "'");
                }
                // Copy while still holding the lock: a backend may reuse its output buffers on the next pass.
                out.put(v.name(), new Tensor(t.shape(), t.data().clone()));
            }
            return Collections.unmodifiableMap(out);
        } finally {
            lock.unlock();
        }
    }

    /** Compiles the graph for {@code batch} now, so the first {@link #run} at that size does not pay for it. */
    public void prepare(int batch) {
        withExecutable(batch, e -> null);
    }

    /**
     * The activation memory the backend planned for one pass at {@code batch} (compiling it if needed), or empty
     * when the backend does not report it.
     */
    public OptionalLong plannedActivationBytes(int batch) {
        Long bytes = withExecutable(batch, e -> e instanceof ActivationMemory m ? m.plannedActivationBytes() : null);
        return bytes == null ? OptionalLong.empty() : OptionalLong.of(bytes);
    }

    /** Frees every compiled executable and the backend. Waits for a running pass; idempotent. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            RuntimeException failure = null;
            for (Executable e : compiled.values()) failure = closeQuietly(e, failure);
            compiled.clear();
            failure = closeQuietly(backend, failure);
            if (failure != null) throw failure;
        } finally {
            lock.unlock();
        }
    }

    private <T> T withExecutable(int batch, java.util.function.Function<Executable, T> f) {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        ensureOpen();
        lock.lock();
        try {
            ensureOpen();
            return f.apply(executable(batch));
        } finally {
            lock.unlock();
        }
    }

    /** The executable for {@code batch}, compiled on first use; caller holds the lock. */
    private Executable executable(int batch) {
        Executable e = compiled.get(batch);
        if (e != null) return e;
        e = backend.compile(graph, batch);
        compiled.put(batch, e);
        if (compiled.size() > maxCached) {
            var eldest = compiled.entrySet().iterator().next();
            compiled.remove(eldest.getKey());
            eldest.getValue().close();
        }
        return e;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("session of model '" + modelName + "' on " + deviceName + " is closed");
    }

    private static RuntimeException closeQuietly(AutoCloseable c, RuntimeException failure) {
        try {
            c.close();
        } catch (Exception ex) {
            RuntimeException r = ex instanceof RuntimeException re ? re : new IllegalStateException(ex);
            if (failure == null) return r;
            failure.addSuppressed(r);
        }
        return failure;
    }
}
