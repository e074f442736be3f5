package io.foldrt.backend.cpu;

import io.foldrt.backend.Backend;
import io.foldrt.ir.Graph;

/**
 * The pure-Java CPU backend: float32 kernels (im2col + blocked SGEMM convolution, direct depthwise
 * convolution, fused BatchNorm, ...) on a fixed worker pool that this backend owns and shuts down in
 * {@link #close()}. It is both the fallback where no GPU exists and the float32 check on the GPU path.
 */
public final class CpuBackend implements Backend {
    private final WorkerPool pool;
    private final MicroKernel kernel;
    private final boolean winograd;
    private volatile boolean closed;

    /** A backend on {@code threads} threads with the best GEMM kernel this JVM offers. */
    public CpuBackend(int threads) {
        this(threads, MicroKernel.select("auto"));
    }

    /** A backend running on {@code threads} threads (the caller's plus {@code threads - 1} workers). */
    CpuBackend(int threads, MicroKernel kernel) {
        this(threads, kernel, true);
    }

    /** {@code winograd}: whether 3x3 stride-1 convs may run as Winograd F(2x2, 3x3) (see {@link Winograd}). */
    CpuBackend(int threads, MicroKernel kernel, boolean winograd) {
        this.pool = new WorkerPool(threads);
        this.kernel = kernel;
        this.winograd = winograd;
    }

    public int threads() {
        return pool.threads();
    }

    @Override
    public String name() {
        return "cpu (" + threads() + (threads() == 1 ? " thread, " : " threads, ") + kernel.describe() + " kernel)";
    }

    MicroKernel kernel() {
        return kernel;
    }

    boolean winograd() {
        return winograd;
    }

    @Override
    public CpuExecutable compile(Graph graph, int batch) {
        checkOpen();
        return Compiler.compile(graph, batch, this);
    }

    WorkerPool pool() {
        return pool;
    }

    void checkOpen() {
        if (closed) throw new IllegalStateException("cpu backend is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.close();
    }
}
