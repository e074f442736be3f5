package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.driver.CudaDevice;
import io.foldrt.backend.cuda.driver.KernelArgs;
import io.foldrt.backend.cuda.driver.KernelLaunch;
import io.foldrt.backend.cuda.driver.KernelModule;
import io.foldrt.backend.cuda.driver.Resources;
import java.lang.foreign.Arena;
import java.util.HashMap;
import java.util.Map;

/**
 * The project's kernels (src/main/cuda): which module holds each and its parameter kinds (checked against
 * the .cu prototypes by a test). Modules load on first use and belong to this object. Thread-safe.
 */
public final class Kernels implements AutoCloseable {

    /** Every kernel, with module and signature (P pointer, I int, J long long, F float, D double). */
    public enum Kernel {
        FOLD_BN("fold_bn", "fold_bn", "PPPPPPPPPPPPI"),
        BIAS_ACT("elementwise", "bias_act", "PPPJIIIIFF"),
        BINARY_BCAST("elementwise", "binary_bcast", "PPPJI" + "IIIIII" + "JJJJJJ" + "JJJJJJ"),
        POOL2D("pool", "pool2d", "PPJ" + "IIIIIIIIIIIIIII"),
        PAD_CROP("layout", "pad_crop", "PPJIIIIII"),
        CONCAT_COPY("layout", "concat_copy", "PPJJJJ");

        public final String module, function, signature;

        Kernel(String module, String function, String signature) {
            this.module = module;
            this.function = function;
            this.signature = signature;
        }
    }

    /** bias_act activation kinds. */
    public static final int ACT_NONE = 0, ACT_RELU = 1, ACT_CLIP = 2, ACT_SIGMOID = 3;
    /** binary_bcast operations. */
    public static final int OP_ADD = 0, OP_MUL = 1, OP_COPY = 2;

    private final CudaDevice device;
    private final Map<String, KernelModule> modules = new HashMap<>();
    private final Resources owned = new Resources();

    public Kernels(CudaDevice device) {
        this.device = device;
    }

    /** An argument block for {@code k}, owned by {@code arena}. */
    public static KernelArgs args(Kernel k, Arena arena) {
        return new KernelArgs(arena, k.signature);
    }

    /** A grid-stride launch over {@code n} elements. */
    public KernelLaunch elementwise(Kernel k, long n, KernelArgs args) {
        return new KernelLaunch(k.function, function(k), KernelLaunch.gridFor(n, KernelLaunch.BLOCK), KernelLaunch.BLOCK, args);
    }

    /** A launch with an explicit grid (fold_bn: one block per channel). */
    public KernelLaunch launch(Kernel k, int gridX, int blockX, KernelArgs args) {
        return new KernelLaunch(k.function, function(k), gridX, blockX, args);
    }

    public synchronized jcuda.driver.CUfunction function(Kernel k) {
        return module(k.module).function(k.function);
    }

    /** Loads every module now, so that a missing or rejected kernel image shows up when the backend opens. */
    public synchronized void loadAll() {
        for (Kernel k : Kernel.values()) module(k.module);
    }

    /** Where each loaded module came from (PTX resource or NVRTC), for reports. */
    public synchronized Map<String, String> origins() {
        Map<String, String> m = new HashMap<>();
        modules.forEach((n, mod) -> m.put(n, mod.origin()));
        return m;
    }

    private KernelModule module(String name) {
        KernelModule m = modules.get(name);
        if (m == null) {
            m = owned.add(KernelModule.load(name, device));
            modules.put(name, m);
        }
        return m;
    }

    @Override
    public synchronized void close() {
        device.makeCurrent();
        modules.clear();
        owned.close();
    }
}
