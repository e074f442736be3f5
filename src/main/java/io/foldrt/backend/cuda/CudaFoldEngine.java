package io.foldrt.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;

import io.foldrt.backend.cuda.Kernels.Kernel;
import io.foldrt.backend.cuda.driver.CudaDevice;
import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.DeviceBuffer;
import io.foldrt.backend.cuda.driver.DevicePool;
import io.foldrt.backend.cuda.driver.DriverAllocator;
import io.foldrt.backend.cuda.driver.Driver;
import io.foldrt.backend.cuda.driver.KernelArgs;
import io.foldrt.backend.cuda.driver.KernelLaunch;
import io.foldrt.backend.cuda.driver.PinnedBuffer;
import io.foldrt.backend.cuda.driver.Resources;
import io.foldrt.backend.cuda.driver.Uploader;
import io.foldrt.backend.cuda.geometry.GemmMapping;
import io.foldrt.backend.cuda.dnn.CublasHandle;
import io.foldrt.ir.Tensor;
import io.foldrt.nativebind.Cublas;
import io.foldrt.plan.FoldEngine;
import io.foldrt.plan.FoldJob;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Folds BatchNorm into the weights of every layer with one launch of the fold_bn kernel
 * (src/main/cuda/fold_bn.cu). Each channel's scale is computed in float64 as gamma / sqrt(var + eps), and
 * each folded value is rounded to float32 once, with no fused multiply-add (PTX and NVRTC are built with
 * -fmad=false): the results are the {@link FoldEngine} formulas, expected to equal a float64 host fold bit
 * for bit. Jobs are checked on the host first ({@link FoldLayout}); a refused job is a ModelException
 * naming the layer.
 *
 * <p>{@link #multiply} (the weight product of a Linear→BN→Linear collapse) runs cublasDgemm_v2: operands are
 * widened to float64 on the host, multiplied and accumulated in float64 on the device, and rounded to
 * float32 once on the way back, so results equal the host float64 product up to summation order (see
 * {@link FoldEngine#multiply}). Thread-safe (calls are serialised).
 */
public final class CudaFoldEngine implements FoldEngine, AutoCloseable {
    private static final int BLOCK = 256;

    private final CudaDevice device;
    private final DevicePool pool;
    private final Kernels kernels;
    private final Resources owned; // null when the backend owns device, pool and kernels
    private Cublas cublas; // loaded on first multiply by a stand-alone engine
    private boolean closed;

    CudaFoldEngine(CudaDevice device, DevicePool pool, Kernels kernels, Cublas cublas, Resources owned) {
        this.device = device;
        this.cublas = cublas;
        this.pool = pool;
        this.kernels = kernels;
        this.owned = owned;
    }

    /**
     * A stand-alone engine on GPU {@code ordinal} that needs only the driver (no cuDNN; cuBLAS is loaded when
     * {@link #multiply} is first called).
     *
     * @throws io.foldrt.backend.BackendUnavailableException with a one-line reason without a usable GPU
     */
    public static CudaFoldEngine open(int ordinal) {
        Resources scope = new Resources();
        try {
            CudaDevice device = scope.add(CudaDevice.open(ordinal));
            DevicePool pool = scope.add(new DevicePool(new DriverAllocator(device)));
            Kernels kernels = scope.add(new Kernels(device));
            kernels.function(Kernel.FOLD_BN);
            return new CudaFoldEngine(device, pool, kernels, null, scope);
        } catch (RuntimeException | Error e) {
            try {
                scope.close();
            } catch (RuntimeException s) {
                e.addSuppressed(s);
            }
            throw e;
        }
    }

    @Override
    public String name() {
        return "cuda kernel fold_bn (" + device.name() + ")";
    }

    @Override
    public synchronized List<FoldJob.Result> fold(List<FoldJob> jobs) {
        requireOpen();
        if (jobs.isEmpty()) return List.of();
        FoldLayout lay = FoldLayout.of(jobs);
        device.makeCurrent();
        try (Resources r = new Resources(); Arena arena = Arena.ofConfined()) {
            CudaStream stream = r.add(CudaStream.create());
            DeviceBuffer in = r.add(pool.allocate(lay.inputBytes(), "BatchNorm folding inputs"));
            DeviceBuffer out = r.add(pool.allocate(lay.outputBytes(), "BatchNorm folding results"));
            long base = in.address();
            try (Uploader up = new Uploader(stream, lay.inputBytes())) {
                for (int l = 0; l < jobs.size(); l++) up.put(base + 4 * lay.weightOffset(l), jobs.get(l).weight().data());
                for (int k = 0; k < 5; k++) up.put(base + lay.channelArrayAt(k), lay.channelArray(k));
                up.put(base + lay.epsAt(), MemorySegment.ofArray(lay.epsilons()));
                up.put(base + lay.weightOffsetsAt(), MemorySegment.ofArray(lay.weightOffsets()));
                up.put(base + lay.metaAt(), MemorySegment.ofArray(lay.meta()));
                up.put(base + lay.layerOfAt(), MemorySegment.ofArray(lay.layerOf()));
            }
            KernelArgs args = Kernels.args(Kernel.FOLD_BN, arena)
                    .ptr(base).ptr(out.address())
                    .ptr(base + lay.channelArrayAt(0)).ptr(out.address() + lay.foldedBiasAt())
                    .ptr(base + lay.channelArrayAt(1)).ptr(base + lay.channelArrayAt(2))
                    .ptr(base + lay.channelArrayAt(3)).ptr(base + lay.channelArrayAt(4))
                    .ptr(base + lay.epsAt()).ptr(base + lay.weightOffsetsAt()).ptr(base + lay.metaAt())
                    .ptr(base + lay.layerOfAt()).i32(lay.totalChannels());
            KernelLaunch launch = kernels.launch(Kernel.FOLD_BN, lay.totalChannels(), BLOCK, args);
            launch.enqueue(stream);
            PinnedBuffer host = r.add(PinnedBuffer.allocate(lay.outputBytes()));
            Driver.check(cuMemcpyDtoHAsync(host.pointer(0), out.ptr(), lay.outputBytes(), stream.jcuda()), "cuMemcpyDtoHAsync");
            stream.synchronize();
            return unpack(lay, host.segment());
        }
    }

    /**
     * {@code alpha · op(A) · op(B)} with one cublasDgemm_v2 call on a stream of its own; every device and
     * pinned buffer, the stream and the cuBLAS handle are freed before returning, also when a call fails.
     */
    @Override
    public synchronized Tensor multiply(Tensor a, boolean transA, Tensor b, boolean transB, double alpha) {
        requireOpen();
        if (a.rank() != 2 || b.rank() != 2) {
            throw new IllegalArgumentException("multiply needs two matrices, got shapes " + Arrays.toString(a.shape())
                    + " and " + Arrays.toString(b.shape()));
        }
        int m = a.dim(transA ? 1 : 0), k = a.dim(transA ? 0 : 1), kb = b.dim(transB ? 1 : 0), n = b.dim(transB ? 0 : 1);
        if (k != kb) throw new IllegalArgumentException("multiply: op(A) is " + m + "x" + k + " but op(B) is " + kb + "x" + n);
        if (cublas == null) cublas = Cublas.load();
        device.makeCurrent();
        long aBytes = 8L * a.size(), bBytes = 8L * b.size(), cBytes = 8L * m * n;
        try (Resources r = new Resources(); Arena arena = Arena.ofConfined()) {
            CudaStream stream = r.add(CudaStream.create());
            DeviceBuffer in = r.add(pool.allocate(aBytes + bBytes, "collapse operands"));
            DeviceBuffer out = r.add(pool.allocate(cBytes, "collapse product"));
            try (Uploader up = new Uploader(stream, aBytes + bBytes)) {
                up.put(in.address(), MemorySegment.ofArray(widen(a.data())));
                up.put(in.address() + aBytes, MemorySegment.ofArray(widen(b.data())));
            }
            CublasHandle h = r.add(CublasHandle.create(cublas, stream, false));
            GemmMapping g = GemmMapping.rowMajor(m, n, k, transA, transB);
            cublas.dgemm(h.segment(), g.transa(), g.transb(), g.m(), g.n(), g.k(), arena.allocateFrom(JAVA_DOUBLE, alpha),
                    MemorySegment.ofAddress(in.address() + aBytes), g.lda(), MemorySegment.ofAddress(in.address()),
                    g.ldb(), arena.allocateFrom(JAVA_DOUBLE, 0.0), MemorySegment.ofAddress(out.address()), g.ldc());
            PinnedBuffer host = r.add(PinnedBuffer.allocate(cBytes));
            Driver.check(cuMemcpyDtoHAsync(host.pointer(0), out.ptr(), cBytes, stream.jcuda()), "cuMemcpyDtoHAsync");
            stream.synchronize();
            float[] c = new float[m * n];
            for (int i = 0; i < c.length; i++) c[i] = (float) host.segment().getAtIndex(JAVA_DOUBLE, i);
            return new Tensor(new int[] {m, n}, c);
        }
    }

    private static double[] widen(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) d[i] = x[i];
        return d;
    }

    private void requireOpen() {
        if (closed) throw new IllegalStateException("fold engine is closed");
    }

    private static List<FoldJob.Result> unpack(FoldLayout lay, MemorySegment host) {
        List<FoldJob.Result> results = new ArrayList<>(lay.jobs().size());
        for (int l = 0; l < lay.jobs().size(); l++) {
            FoldJob j = lay.jobs().get(l);
            float[] w = new float[j.weight().size()];
            MemorySegment.copy(host, JAVA_FLOAT, 4 * lay.weightOffset(l), w, 0, w.length);
            int m = j.layout().outputChannels();
            float[] b = new float[m];
            MemorySegment.copy(host, JAVA_FLOAT, lay.foldedBiasAt() + 4L * lay.firstChannel(l), b, 0, m);
            results.add(new FoldJob.Result(new Tensor(j.weight().shape(), w), new Tensor(new int[] {m}, b)));
        }
        return results;
    }

    /** Frees what a stand-alone engine opened; an engine from {@link CudaBackend#foldEngine()} owns nothing. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (owned != null) {
            device.makeCurrent();
            owned.close();
        }
    }
}
