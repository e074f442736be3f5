package io.foldrt.backend.cuda;

import io.foldrt.backend.Backend;
import io.foldrt.backend.cuda.dnn.ConvAlgorithms;
import io.foldrt.backend.cuda.driver.CudaDevice;
import io.foldrt.backend.cuda.driver.DevicePool;
import io.foldrt.backend.cuda.driver.DriverAllocator;
import io.foldrt.backend.cuda.driver.Resources;
import io.foldrt.ir.Graph;
import io.foldrt.nativebind.Cublas;
import io.foldrt.nativebind.Cudnn;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The CUDA backend on one GPU: device and primary context, a caching device-memory pool, the project's
 * kernel modules, cuDNN and cuBLAS, and a per-shape cache of convolution algorithms. It owns the
 * executables it compiled and closes any still open when it closes.
 *
 * <p>Thread-safety: compile, close and the fold engine may be called from any thread (each call makes the
 * context current on its thread first); executables serialise their own calls.
 */
public final class CudaBackend implements Backend {
    private final CudaDevice device;
    private final CudaOptions options;
    private final Cudnn cudnn;
    private final Cublas cublas;
    private final DevicePool pool;
    private final Kernels kernels;
    private final ConvAlgorithms algorithms = new ConvAlgorithms();
    private final Set<CudaExecutable> executables = new LinkedHashSet<>();
    private CudaFoldEngine foldEngine;
    private boolean closed;

    private CudaBackend(CudaDevice device, CudaOptions options, Cudnn cudnn, Cublas cublas, DevicePool pool, Kernels kernels) {
        this.device = device;
        this.options = options;
        this.cudnn = cudnn;
        this.cublas = cublas;
        this.pool = pool;
        this.kernels = kernels;
    }

    /**
     * Opens GPU {@code ordinal}: driver, cuDNN, cuBLAS and the kernel modules all have to load.
     *
     * @throws io.foldrt.backend.BackendUnavailableException with a one-line reason when any is missing
     */
    public static CudaBackend open(int ordinal, CudaOptions options) {
        Resources scope = new Resources();
        try {
            CudaDevice device = scope.add(CudaDevice.open(ordinal));
            Cudnn cudnn = Cudnn.load();
            Cublas cublas = Cublas.load();
            DevicePool pool = scope.add(new DevicePool(new DriverAllocator(device)));
            Kernels kernels = scope.add(new Kernels(device));
            kernels.loadAll();
            return new CudaBackend(device, options, cudnn, cublas, pool, kernels);
        } catch (RuntimeException | Error e) {
            try {
                scope.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public String name() {
        return device + ", cuDNN " + cudnn.version() + ", " + String.join(" ", cublas.files());
    }

    public CudaOptions options() {
        return options;
    }

    public CudaDevice device() {
        return device;
    }

    @Override
    public CudaExecutable compile(Graph graph, int batch) {
        synchronized (this) {
            if (closed) throw new IllegalStateException("cuda backend is closed");
        }
        CudaExecutable e = new CudaCompiler(this).compile(graph, batch);
        synchronized (this) {
            if (closed) {
                e.close();
                throw new IllegalStateException("cuda backend was closed while compiling");
            }
            executables.add(e);
        }
        return e;
    }

    /** A fold engine on this backend's GPU, owned by the backend. */
    public synchronized CudaFoldEngine foldEngine() {
        if (closed) throw new IllegalStateException("cuda backend is closed");
        if (foldEngine == null) foldEngine = new CudaFoldEngine(device, pool, kernels, cublas, null);
        return foldEngine;
    }

    synchronized void forget(CudaExecutable e) {
        executables.remove(e);
    }

    DevicePool pool() {
        return pool;
    }

    Kernels kernels() {
        return kernels;
    }

    Cudnn cudnn() {
        return cudnn;
    }

    Cublas cublas() {
        return cublas;
    }

    ConvAlgorithms algorithms() {
        return algorithms;
    }

    /** Closes open executables, then the kernels, the memory pool and the context. */
    @Override
    public void close() {
        List<CudaExecutable> open;
        synchronized (this) {
            if (closed) return;
            closed = true;
            open = new ArrayList<>(executables);
        }
        Resources order = new Resources(); // closes in reverse: executables first, context last
        order.add(device);
        order.add(pool);
        order.add(kernels);
        if (foldEngine != null) order.add(foldEngine);
        for (CudaExecutable e : open) order.add(e);
        device.makeCurrent();
        order.close();
    }
}
