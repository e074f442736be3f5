package io.foldrt.emu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test access to the emulated CUDA stack built by src/test/native/build.sh (target/emu, or -Dfoldrt.emu.dir):
 * plain java.lang.foreign calls into the emulated libcuda.so.1, cuDNN, cuBLAS and NVRTC, plus the emulator's own
 * query and fault-injection functions. Calls are untyped on purpose (the descriptor is taken from the boxed
 * argument types) so that a test reads like the C call it makes.
 */
public final class Emu {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Map<String, MethodHandle> HANDLES = new ConcurrentHashMap<>();

    static final Path DIR = Path.of(System.getProperty("foldrt.emu.dir", "target/emu")).toAbsolutePath();
    static final SymbolLookup CUDA = load("libcuda.so.1");
    static final SymbolLookup CUDNN = load("libcudnn_emu.so");
    static final SymbolLookup CUBLAS = load("libcublas_emu.so");
    static final SymbolLookup NVRTC = load("libnvrtc_emu.so");

    private Emu() {}

    private static SymbolLookup load(String file) {
        Path p = DIR.resolve(file);
        if (!Files.exists(p)) throw new IllegalStateException(p + " missing: run src/test/native/build.sh (mvn process-test-classes)");
        return SymbolLookup.libraryLookup(p, Arena.global());
    }

    private static MemoryLayout layoutOf(Object a) {
        return switch (a) {
            case Integer i -> JAVA_INT;
            case Long l -> JAVA_LONG;
            case Double d -> JAVA_DOUBLE;
            case Float f -> JAVA_FLOAT;
            case MemorySegment m -> ADDRESS;
            default -> throw new IllegalArgumentException("unsupported argument " + a);
        };
    }

    /** Calls {@code name} in {@code lib} with a return value of layout {@code ret} (null for void). */
    static Object invoke(SymbolLookup lib, String name, ValueLayout ret, Object... args) {
        MemoryLayout[] layouts = new MemoryLayout[args.length];
        StringBuilder key = new StringBuilder(name).append(ret == null ? "V" : ret.toString());
        for (int i = 0; i < args.length; i++) {
            layouts[i] = layoutOf(args[i]);
            key.append(layouts[i]);
        }
        MethodHandle h = HANDLES.computeIfAbsent(key.toString(), k -> {
            MemorySegment addr = lib.find(name).orElseThrow(() -> new AssertionError(name + " is not exported"));
            FunctionDescriptor fd = ret == null ? FunctionDescriptor.ofVoid(layouts) : FunctionDescriptor.of(ret, layouts);
            return LINKER.downcallHandle(addr, fd);
        });
        try {
            return h.invokeWithArguments(args);
        } catch (Throwable t) {
            throw new AssertionError(name + " failed to run", t);
        }
    }

    static int cu(String name, Object... args) { return (int) invoke(CUDA, name, JAVA_INT, args); }
    static int dnn(String name, Object... args) { return (int) invoke(CUDNN, name, JAVA_INT, args); }
    static int blas(String name, Object... args) { return (int) invoke(CUBLAS, name, JAVA_INT, args); }
    static int rtc(String name, Object... args) { return (int) invoke(NVRTC, name, JAVA_INT, args); }

    // ---- emulator queries and controls ----

    public static int liveAllocations() { return cu("emu_live_allocations"); }
    public static int liveCount(String kind) {
        try (Arena a = Arena.ofConfined()) {
            return cu("emu_live_count", kind == null ? MemorySegment.NULL : a.allocateFrom(kind));
        }
    }
    public static int errorCount() { return cu("emu_error_count"); }
    public static String lastError() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(1024);
            cu("emu_last_error", b, 1024);
            return b.getString(0);
        }
    }
    public static long callCount(String name) {
        try (Arena a = Arena.ofConfined()) {
            return (long) invoke(CUDA, "emu_call_count", JAVA_LONG, a.allocateFrom(name));
        }
    }
    public static void fault(String call, int nth, int code, boolean repeat) {
        try (Arena a = Arena.ofConfined()) {
            if (cu("emu_fault_set", a.allocateFrom(call), nth, code, repeat ? 1 : 0) != 0) throw new AssertionError("fault table full");
        }
    }
    public static void clearFaults() { invoke(CUDA, "emu_fault_clear", null); }
    /** Allocations the driver freed because their context went away while they were live (leaked). */
    public static long contextFreedAllocations() { return (long) invoke(CUDA, "emu_context_freed_allocations", JAVA_LONG); }
    public static void setMemoryLimit(long bytes) { invoke(CUDA, "emu_set_memory_limit", null, bytes); }
    /** Whether the calling thread has a current context. */
    public static boolean threadHasContext() { return cu("emu_thread_has_context") == 1; }

    // ---- driver conveniences for tests that need a context and memory ----

    /** cuInit + retain device 0's primary context + make it current on the calling thread. */
    static MemorySegment primaryContext() {
        check(cu("cuInit", 0), "cuInit");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check(cu("cuDevicePrimaryCtxRetain", out, 0), "cuDevicePrimaryCtxRetain");
            MemorySegment ctx = out.get(ADDRESS, 0);
            check(cu("cuCtxSetCurrent", ctx), "cuCtxSetCurrent");
            return ctx;
        }
    }

    static void releasePrimary() { check(cu("cuDevicePrimaryCtxRelease_v2", 0), "cuDevicePrimaryCtxRelease_v2"); }

    static long malloc(long bytes) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_LONG);
            check(cu("cuMemAlloc_v2", out, bytes), "cuMemAlloc_v2");
            return out.get(JAVA_LONG, 0);
        }
    }

    static void free(long p) { check(cu("cuMemFree_v2", p), "cuMemFree_v2"); }

    static long upload(float[] data) {
        long p = malloc(4L * data.length);
        try (Arena a = Arena.ofConfined()) {
            check(cu("cuMemcpyHtoD_v2", p, a.allocateFrom(JAVA_FLOAT, data), 4L * data.length), "cuMemcpyHtoD_v2");
        }
        return p;
    }

    static float[] download(long p, int n) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment h = a.allocate(JAVA_FLOAT, n);
            check(cu("cuMemcpyDtoH_v2", h, p, 4L * n), "cuMemcpyDtoH_v2");
            return h.toArray(JAVA_FLOAT);
        }
    }

    static MemorySegment ptr(long address) { return MemorySegment.ofAddress(address); }

    static void check(int rc, String call) {
        if (rc != 0) throw new AssertionError(call + " returned " + rc + " (last emulator error: " + lastError() + ")");
    }
}
