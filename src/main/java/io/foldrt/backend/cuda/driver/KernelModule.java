package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;

import io.foldrt.nativebind.CudaDriverException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;

/**
 * One loaded kernel module, built from {@code src/main/cuda/<name>.cu}. The jar carries the PTX that nvcc
 * produced at build time (resource {@code cuda/<name>.ptx}) and the source ({@code cuda/<name>.cu}). The PTX
 * is tried first; when it is missing (built without nvcc) or the driver rejects it - PTX from CUDA 13 on a
 * driver older than 580 gives CUDA_ERROR_UNSUPPORTED_PTX_VERSION - NVRTC compiles the source for the
 * installed GPU instead. {@link #origin()} says which route was taken.
 */
public final class KernelModule implements AutoCloseable {
    private final String name;
    private final CUmodule module;
    private final String origin;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private boolean closed;

    private KernelModule(String name, CUmodule module, String origin) {
        this.name = name;
        this.module = module;
        this.origin = origin;
        LiveResources.opened("cuda-module");
    }

    /** Loads module {@code name} into the context current on this thread. */
    public static KernelModule load(String name, CudaDevice device) {
        device.makeCurrent();
        byte[] ptx = resource("cuda/" + name + ".ptx");
        String why;
        if (ptx != null) {
            CUmodule m = new CUmodule();
            int rc = cuModuleLoadData(m, nulTerminated(ptx));
            if (rc == CUresult.CUDA_SUCCESS) return new KernelModule(name, m, "PTX resource cuda/" + name + ".ptx");
            if (!shouldCompileFromSource(rc)) throw new CudaDriverException("cuModuleLoadData(" + name + ".ptx)", rc);
            why = "the driver rejected the shipped PTX with " + CUresult.stringFor(rc);
        } else {
            why = "the jar has no cuda/" + name + ".ptx (built without nvcc)";
        }
        byte[] source = resource("cuda/" + name + ".cu");
        if (source == null) throw new IllegalStateException("kernel source cuda/" + name + ".cu is not on the classpath");
        NvrtcCompiler.Result r = NvrtcCompiler.compile(new String(source, StandardCharsets.UTF_8), name + ".cu",
                device.computeCapabilityMajor(), device.computeCapabilityMinor());
        CUmodule m = new CUmodule();
        Driver.check(cuModuleLoadData(m, r.cubin() ? r.image() : nulTerminated(r.image())),
                "cuModuleLoadData(" + name + " from NVRTC)");
        return new KernelModule(name, m, r.description() + " because " + why);
    }

    /**
     * Whether a module-load error means "this PTX does not suit this driver or GPU", so compiling the source
     * for the installed GPU may succeed: unsupported PTX version (222), invalid PTX (218), no binary for the
     * GPU (209), invalid image (200). Anything else is a real error.
     */
    public static boolean shouldCompileFromSource(int rc) {
        return rc == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION || rc == CUresult.CUDA_ERROR_INVALID_PTX
                || rc == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU || rc == CUresult.CUDA_ERROR_INVALID_IMAGE;
    }

    public synchronized CUfunction function(String kernel) {
        if (closed) throw new IllegalStateException("module " + name + " is closed");
        return functions.computeIfAbsent(kernel, k -> {
            CUfunction f = new CUfunction();
            Driver.check(cuModuleGetFunction(f, module, k), "cuModuleGetFunction(" + name + "." + k + ")");
            return f;
        });
    }

    public String name() {
        return name;
    }

    /** How the module was obtained, for reports. */
    public String origin() {
        return origin;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cuda-module");
        Driver.check(cuModuleUnload(module), "cuModuleUnload(" + name + ")");
    }

    static byte[] resource(String path) {
        try (InputStream in = KernelModule.class.getClassLoader().getResourceAsStream(path)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource " + path, e);
        }
    }

    /** The driver reads PTX as a C string. */
    static byte[] nulTerminated(byte[] text) {
        if (text.length > 0 && text[text.length - 1] == 0) return text;
        return Arrays.copyOf(text, text.length + 1);
    }
}
