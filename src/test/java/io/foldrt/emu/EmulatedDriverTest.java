package io.foldrt.emu;

import static io.foldrt.emu.Emu.check;
import static io.foldrt.emu.Emu.cu;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The emulated driver (libcuda.so.1) through plain FFM calls: contexts, registry, modules, kernels, streams, graphs. */
@Tag("emulated")
class EmulatedDriverTest {
    static final String PTX_HEADER = ".version 8.5\n.target sm_90\n.address_size 64\n";
    static final String SAMPLE_PTX = PTX_HEADER + ".visible .entry emu_saxpy(\n)\n.visible .entry emu_unchecked_fill(\n)\n"
            + ".visible .entry emu_shifted_copy(\n)\n.visible .entry emu_arg_kinds(\n)\n.visible .entry emu_grid_ids(\n)\n"
            + ".visible .entry emu_bn_scale(\n)\n.visible .entry not_built_for_host(\n)\n";

    Arena arena;
    int allocationsBefore, errorsBefore;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        Emu.primaryContext();
        allocationsBefore = Emu.liveAllocations();
        errorsBefore = Emu.errorCount();
    }

    @AfterEach
    void tearDown() {
        Emu.clearFaults();
        arena.close();
        Emu.releasePrimary();
    }

    private void assertNoNewErrors() {
        assertEquals(errorsBefore, Emu.errorCount(), () -> "unexpected misuse report: " + Emu.lastError());
    }

    private void assertNewError(String fragment) {
        assertTrue(Emu.errorCount() > errorsBefore, "the emulator should have reported misuse");
        assertTrue(Emu.lastError().contains(fragment), () -> "last error '" + Emu.lastError() + "' lacks '" + fragment + "'");
        errorsBefore = Emu.errorCount();
    }

    private MemorySegment out() { return arena.allocate(ADDRESS); }

    private MemorySegment module(String ptx) {
        MemorySegment m = out();
        check(cu("cuModuleLoadData", m, arena.allocateFrom(ptx)), "cuModuleLoadData");
        return m.get(ADDRESS, 0);
    }

    private MemorySegment function(MemorySegment module, String name) {
        MemorySegment f = out();
        check(cu("cuModuleGetFunction", f, module, arena.allocateFrom(name)), "cuModuleGetFunction " + name);
        return f.get(ADDRESS, 0);
    }

    /** kernelParams: an array of pointers to each argument value. */
    private MemorySegment params(Object... values) {
        MemorySegment arr = arena.allocate(ADDRESS, values.length);
        for (int i = 0; i < values.length; i++) {
            MemorySegment v = switch (values[i]) {
                case Integer x -> arena.allocateFrom(JAVA_INT, x);
                case Long x -> arena.allocateFrom(JAVA_LONG, x);
                case Float x -> arena.allocateFrom(JAVA_FLOAT, x);
                case Double x -> arena.allocateFrom(JAVA_DOUBLE, x);
                default -> throw new IllegalArgumentException();
            };
            arr.setAtIndex(ADDRESS, i, v);
        }
        return arr;
    }

    private int launch(MemorySegment f, int gx, int gy, int gz, int bx, int by, int bz, MemorySegment stream, MemorySegment params) {
        return cu("cuLaunchKernel", f, gx, gy, gz, bx, by, bz, 0, stream, params, MemorySegment.NULL);
    }

    @Test
    void deviceLooksLikeAnH100() {
        MemorySegment v = arena.allocate(JAVA_INT);
        check(cu("cuDriverGetVersion", v), "cuDriverGetVersion");
        assertEquals(12060, v.get(JAVA_INT, 0));
        int[][] expected = {{75, 9}, {76, 0}, {16, 132}, {10, 32}, {1, 1024}};
        for (int[] e : expected) {
            check(cu("cuDeviceGetAttribute", v, e[0], 0), "cuDeviceGetAttribute");
            assertEquals(e[1], v.get(JAVA_INT, 0), "attribute " + e[0]);
        }
        assertEquals(1, cu("cuDeviceGetAttribute", v, 100000, 0), "unknown attribute is CUDA_ERROR_INVALID_VALUE");
        assertEquals(101, cu("cuDeviceGetAttribute", v, 16, 1), "device 1 does not exist");
        MemorySegment name = arena.allocate(128);
        check(cu("cuDeviceGetName", name, 128, 0), "cuDeviceGetName");
        assertTrue(name.getString(0).contains("H100"));
        MemorySegment str = out();
        check(cu("cuGetErrorName", 201, str), "cuGetErrorName");
        assertEquals("CUDA_ERROR_INVALID_CONTEXT", str.get(ADDRESS, 0).reinterpret(64).getString(0));
        assertEquals(1, cu("cuGetErrorString", 123456, str));
        assertNoNewErrors();
    }

    @Test
    void aThreadWithoutCurrentContextGetsInvalidContext() throws Exception {
        AtomicInteger withoutContext = new AtomicInteger(-1), withContext = new AtomicInteger(-1);
        MemorySegment ctx = out();
        check(cu("cuCtxGetCurrent", ctx), "cuCtxGetCurrent");
        MemorySegment primary = ctx.get(ADDRESS, 0);
        Thread worker = new Thread(() -> {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment p = a.allocate(JAVA_LONG);
                withoutContext.set(cu("cuMemAlloc_v2", p, 64L));
                cu("cuCtxSetCurrent", primary);
                withContext.set(cu("cuMemAlloc_v2", p, 64L));
                cu("cuMemFree_v2", p.get(JAVA_LONG, 0));
            }
        });
        worker.start();
        worker.join();
        assertEquals(201, withoutContext.get(), "CUDA_ERROR_INVALID_CONTEXT on a thread with no current context");
        assertEquals(0, withContext.get());
        assertNewError("no current context");
        assertEquals(allocationsBefore, Emu.liveAllocations());
    }

    @Test
    void registryCatchesOutOfBoundsDoubleFreeUseAfterFreeAndLeaks() {
        long p = Emu.malloc(1000);
        assertEquals(0, p % 256, "cuMemAlloc memory is 256-byte aligned");
        assertEquals(allocationsBefore + 1, Emu.liveAllocations(), "a live allocation is visible to the leak check");
        MemorySegment host = arena.allocate(2048);
        assertEquals(1, cu("cuMemcpyHtoD_v2", p, host, 1001L), "one byte past the end is CUDA_ERROR_INVALID_VALUE");
        assertNewError("runs past the end of allocation");
        assertEquals(1, cu("cuMemcpyDtoH_v2", host, p + 500, 600L));
        assertNewError("past the end");
        check(cu("cuMemcpyDtoH_v2", host, p + 500, 500L), "an in-bounds copy at an offset");
        assertEquals(1, cu("cuMemcpyHtoD_v2", 12345L, host, 4L), "a pointer that was never allocated");
        assertNewError("not in any allocation");
        assertEquals(1, cu("cuMemcpyHtoD_v2", p, Emu.ptr(p), 4L), "a device pointer where a host pointer belongs");
        assertNewError("is device memory");
        Emu.free(p);
        assertEquals(allocationsBefore, Emu.liveAllocations());
        assertEquals(1, cu("cuMemFree_v2", p), "double free");
        assertNewError("double free");
        assertEquals(1, cu("cuMemcpyDtoH_v2", host, p, 4L), "use after free");
        assertNewError("use after free");
        assertEquals(1, cu("cuMemFree_v2", 77L), "freeing a foreign pointer");
        assertNewError("not the start of a live allocation");
    }

    @Test
    void freshDeviceMemoryReadsAsNaNAndMemsetsAndCopiesWork() {
        long p = Emu.malloc(64), q = Emu.malloc(64);
        float[] fresh = Emu.download(p, 16);
        for (float f : fresh) assertTrue(Float.isNaN(f), "uninitialised device memory is NaN in the emulator");
        check(cu("cuMemsetD32_v2", p, Float.floatToRawIntBits(2.5f), 16L), "cuMemsetD32_v2");
        check(cu("cuMemcpyDtoD_v2", q, p, 64L), "cuMemcpyDtoD_v2");
        check(cu("cuMemsetD8_v2", q, (int) 0, 4L), "cuMemsetD8_v2");
        float[] got = Emu.download(q, 16);
        assertEquals(0f, got[0]);
        for (int i = 1; i < 16; i++) assertEquals(2.5f, got[i]);
        assertEquals(1, cu("cuMemsetD32_v2", p + 2, 0, 1L), "D32 needs a 4-byte aligned destination");
        assertNewError("aligned");
        Emu.free(p);
        Emu.free(q);
    }

    @Test
    void saxpyKernelRunsOnTheWholeGridWithBoundsCheck() {
        int n = 1000;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = i; y[i] = 1000 - i; }
        long dx = Emu.upload(x), dy = Emu.upload(y);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment f = function(m, "emu_saxpy");
        long before = Emu.callCount("kernel:emu_saxpy");
        MemorySegment params = arena.allocate(ADDRESS, 4);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, n));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_FLOAT, 2f));
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, dx));
        params.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_LONG, dy));
        check(launch(f, (n + 127) / 128, 1, 1, 128, 1, 1, MemorySegment.NULL, params), "cuLaunchKernel");
        assertEquals(before + 1, Emu.callCount("kernel:emu_saxpy"));
        float[] got = Emu.download(dy, n);
        for (int i = 0; i < n; i++) assertEquals(2f * i + (1000 - i), got[i], "y[" + i + "]");
        check(cu("cuModuleUnload", m), "cuModuleUnload");
        assertEquals(400, launch(f, 1, 1, 1, 1, 1, 1, MemorySegment.NULL, params), "function of an unloaded module");
        assertNewError("unloaded");
        Emu.free(dx);
        Emu.free(dy);
    }

    @Test
    void everyThreadOfA3dGridRunsOnceWithItsBuiltIns() {
        int gx = 3, gy = 2, gz = 2, bx = 4, by = 2, bz = 3;
        int total = gx * gy * gz * bx * by * bz;
        long ids = Emu.malloc(4L * total);
        check(cu("cuMemsetD32_v2", ids, 0, (long) total), "cuMemsetD32_v2");
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment params = arena.allocate(ADDRESS, 1);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_LONG, ids));
        check(launch(function(m, "emu_grid_ids"), gx, gy, gz, bx, by, bz, MemorySegment.NULL, params), "launch");
        MemorySegment host = arena.allocate(JAVA_INT, total);
        check(cu("cuMemcpyDtoH_v2", host, ids, 4L * total), "copy back");
        for (int i = 0; i < total; i++) assertEquals(i + 1, host.getAtIndex(JAVA_INT, i), "thread " + i);
        check(cu("cuModuleUnload", m), "unload");
        Emu.free(ids);
        assertNoNewErrors();
    }

    @Test
    void kernelParamsOfEveryKindAreUnpacked() {
        long out = Emu.malloc(4 * 8);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment params = params(-7, 1L << 40, 0.25f, 1e-300);
        MemorySegment withPtr = arena.allocate(ADDRESS, 5);
        for (int i = 0; i < 4; i++) withPtr.setAtIndex(ADDRESS, i, params.getAtIndex(ADDRESS, i));
        withPtr.setAtIndex(ADDRESS, 4, arena.allocateFrom(JAVA_LONG, out));
        check(launch(function(m, "emu_arg_kinds"), 1, 1, 1, 32, 1, 1, MemorySegment.NULL, withPtr), "launch");
        MemorySegment host = arena.allocate(JAVA_DOUBLE, 4);
        check(cu("cuMemcpyDtoH_v2", host, out, 32L), "copy back");
        assertArrayEquals(new double[] {-7, 1L << 40, 0.25, 1e-300}, host.toArray(JAVA_DOUBLE));
        check(cu("cuModuleUnload", m), "unload");
        Emu.free(out);
    }

    @Test
    void moduleLoadingChecksPtxVersionTargetAndKernelNames() {
        MemorySegment m = out();
        assertEquals(222, cu("cuModuleLoadData", m, arena.allocateFrom(".version 9.0\n.target sm_90\n.visible .entry emu_saxpy(\n)\n")),
                "PTX ISA 9.0 needs a CUDA 13 driver: CUDA_ERROR_UNSUPPORTED_PTX_VERSION");
        assertEquals(218, cu("cuModuleLoadData", m, arena.allocateFrom(".version 8.5\n.target sm_100\n")), "newer target than sm_90");
        assertEquals(200, cu("cuModuleLoadData", m, arena.allocateFrom("this is not a module")), "CUDA_ERROR_INVALID_IMAGE");
        assertEquals(209, cu("cuModuleLoadData", m, arena.allocateFrom("//EMU-CUBIN sm_80\n" + PTX_HEADER)), "sm_80 CUBIN on sm_90");
        MemorySegment mod = module(SAMPLE_PTX);
        MemorySegment f = out();
        assertEquals(500, cu("cuModuleGetFunction", f, mod, arena.allocateFrom("no_such_kernel")), "CUDA_ERROR_NOT_FOUND");
        assertNoNewErrors();
        assertEquals(500, cu("cuModuleGetFunction", f, mod, arena.allocateFrom("not_built_for_host")));
        assertNewError("no host build");
        // JIT log buffers of cuModuleLoadDataEx receive the reason of a failure.
        MemorySegment opts = arena.allocateFrom(JAVA_INT, 5, 6);
        MemorySegment log = arena.allocate(256);
        MemorySegment vals = arena.allocate(ADDRESS, 2);
        vals.setAtIndex(ADDRESS, 0, log);
        vals.setAtIndex(ADDRESS, 1, MemorySegment.ofAddress(256));
        assertEquals(222, cu("cuModuleLoadDataEx", m, arena.allocateFrom(".version 9.1\n.target sm_90\n"), 2, opts, vals));
        assertTrue(log.getString(0).contains("newer than this driver"), log.getString(0));
        check(cu("cuModuleUnload", mod), "unload");
        assertEquals(400, cu("cuModuleUnload", mod), "second unload");
        assertNewError("already unloaded");
    }

    /** Faulting work runs in a context of its own: a sticky error poisons the whole context, as on a GPU. */
    private MemorySegment scratchContext() {
        MemorySegment c = out();
        check(cu("cuCtxCreate_v2", c, 0, 0), "cuCtxCreate_v2");
        return c.get(ADDRESS, 0);
    }

    @Test
    void aKernelWritingPastItsAllocationIsCaughtAndTheErrorIsSticky() {
        MemorySegment ctx = scratchContext();
        long y = Emu.malloc(4 * 100);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment params = arena.allocate(ADDRESS, 3);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, 100));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_FLOAT, 1f));
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, y));
        // 104 threads write 4 floats past the 100 the buffer holds (inside the 256-byte rounding: guard bytes)
        assertEquals(700, launch(function(m, "emu_unchecked_fill"), 13, 1, 1, 8, 1, 1, MemorySegment.NULL, params));
        assertNewError("overwritten");
        assertEquals(700, cu("cuMemAlloc_v2", out(), 16L), "CUDA_ERROR_ILLEGAL_ADDRESS is sticky for the context");
        long freedBefore = (long) Emu.invoke(Emu.CUDA, "emu_context_freed_allocations", JAVA_LONG);
        check(cu("cuCtxDestroy_v2", ctx), "cuCtxDestroy_v2");
        assertEquals(freedBefore + 1, (long) Emu.invoke(Emu.CUDA, "emu_context_freed_allocations", JAVA_LONG));
        assertEquals(allocationsBefore, Emu.liveAllocations(), "destroying the context freed its memory");
        Emu.primaryContext();
        Emu.releasePrimary(); // balance the extra retain
    }

    @Test
    void aKernelReadingFarPastItsAllocationFaultsAsIllegalAddress() {
        MemorySegment ctx = scratchContext();
        long x = Emu.malloc(4 * 64), y = Emu.malloc(4 * 64);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment params = arena.allocate(ADDRESS, 4);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, 64));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_LONG, 2000L)); // 8000 bytes past x: the guard page
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, x));
        params.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_LONG, y));
        assertEquals(700, launch(function(m, "emu_shifted_copy"), 1, 1, 1, 64, 1, 1, MemorySegment.NULL, params));
        assertNewError("illegal memory access");
        check(cu("cuCtxDestroy_v2", ctx), "cuCtxDestroy_v2");
        Emu.primaryContext();
        Emu.releasePrimary();
        // the JVM survived the SIGSEGV and the process is healthy: ordinary work goes on
        long p = Emu.malloc(16);
        Emu.free(p);
    }

    @Test
    void aFreedPointerPassedToAKernelIsReported() {
        MemorySegment ctx = scratchContext();
        long x = Emu.malloc(256), y = Emu.malloc(256);
        Emu.free(x);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment params = arena.allocate(ADDRESS, 4);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, 8));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_LONG, 0L));
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, x));
        params.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_LONG, y));
        assertEquals(700, launch(function(m, "emu_shifted_copy"), 1, 1, 1, 8, 1, 1, MemorySegment.NULL, params));
        assertNewError("not inside a live allocation");
        check(cu("cuCtxDestroy_v2", ctx), "cuCtxDestroy_v2");
        Emu.primaryContext();
        Emu.releasePrimary();
    }

    @Test
    void eventsMeasureRealHostTime() throws Exception {
        MemorySegment a = out(), b = out(), t = out();
        check(cu("cuEventCreate", a, 0), "cuEventCreate");
        check(cu("cuEventCreate", b, 0), "cuEventCreate");
        MemorySegment ea = a.get(ADDRESS, 0), eb = b.get(ADDRESS, 0);
        check(cu("cuEventRecord", ea, MemorySegment.NULL), "record");
        Thread.sleep(30);
        check(cu("cuEventRecord", eb, MemorySegment.NULL), "record");
        MemorySegment ms = arena.allocate(JAVA_FLOAT);
        check(cu("cuEventElapsedTime", ms, ea, eb), "cuEventElapsedTime");
        assertTrue(ms.get(JAVA_FLOAT, 0) >= 25f && ms.get(JAVA_FLOAT, 0) < 5000f, "elapsed " + ms.get(JAVA_FLOAT, 0));
        check(cu("cuEventElapsedTime_v2", ms, ea, eb), "cuEventElapsedTime_v2");
        check(cu("cuEventCreate", t, 2), "cuEventCreate DISABLE_TIMING");
        check(cu("cuEventRecord", t.get(ADDRESS, 0), MemorySegment.NULL), "record");
        assertEquals(400, cu("cuEventElapsedTime", ms, ea, t.get(ADDRESS, 0)), "timing a DISABLE_TIMING event");
        assertNewError("DISABLE_TIMING");
        for (MemorySegment e : new MemorySegment[] {ea, eb, t.get(ADDRESS, 0)}) check(cu("cuEventDestroy_v2", e), "destroy");
        assertEquals(400, cu("cuEventRecord", ea, MemorySegment.NULL), "destroyed event");
        assertNewError("destroyed event");
    }

    @Test
    void capturedWorkReplaysFromTheGraphAndCaptureRulesHold() {
        int n = 256;
        MemorySegment s = out();
        check(cu("cuStreamCreate", s, 1), "cuStreamCreate");
        MemorySegment stream = s.get(ADDRESS, 0);
        long dx = Emu.malloc(4L * n), dy = Emu.malloc(4L * n);
        MemorySegment hostX = arena.allocate(JAVA_FLOAT, n), hostY = arena.allocate(JAVA_FLOAT, n);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment f = function(m, "emu_saxpy");
        MemorySegment params = arena.allocate(ADDRESS, 4);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, n));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_FLOAT, 3f));
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, dx));
        params.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_LONG, dy));
        long launchesBefore = Emu.callCount("kernel:emu_saxpy");

        check(cu("cuStreamBeginCapture_v2", stream, 0), "begin capture");
        check(cu("cuMemsetD32Async", dy, 0, (long) n, stream), "memset");
        check(cu("cuMemcpyHtoDAsync_v2", dx, hostX, 4L * n, stream), "copy in");
        check(launch(f, 2, 1, 1, 128, 1, 1, stream, params), "launch");
        check(cu("cuMemcpyDtoHAsync_v2", hostY, dy, 4L * n, stream), "copy out");
        MemorySegment status = arena.allocate(JAVA_INT);
        check(cu("cuStreamIsCapturing", stream, status), "is capturing");
        assertEquals(1, status.get(JAVA_INT, 0));
        MemorySegment g = out(), exec = out();
        check(cu("cuStreamEndCapture", stream, g), "end capture");
        assertEquals(launchesBefore, Emu.callCount("kernel:emu_saxpy"), "captured work does not run at capture");
        check(cu("cuGraphInstantiateWithFlags", exec, g.get(ADDRESS, 0), 0L), "instantiate");
        check(cu("cuGraphDestroy", g.get(ADDRESS, 0)), "graph destroy (the exec is independent)");
        for (int round = 1; round <= 2; round++) {
            for (int i = 0; i < n; i++) hostX.setAtIndex(JAVA_FLOAT, i, i * round);
            check(cu("cuGraphLaunch", exec.get(ADDRESS, 0), stream), "graph launch");
            check(cu("cuStreamSynchronize", stream), "sync");
            for (int i = 0; i < n; i++) assertEquals(3f * i * round, hostY.getAtIndex(JAVA_FLOAT, i), "round " + round + " y[" + i + "]");
        }
        assertEquals(launchesBefore + 2, Emu.callCount("kernel:emu_saxpy"));

        // forbidden during a global-mode capture: allocation; the capture is invalidated
        check(cu("cuStreamBeginCapture_v2", stream, 0), "begin capture");
        assertEquals(900, cu("cuMemAlloc_v2", out(), 64L), "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED");
        assertNewError("being captured");
        assertEquals(901, cu("cuStreamEndCapture", stream, g), "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED");
        // the legacy default stream while a blocking stream is captured
        MemorySegment s2 = out();
        check(cu("cuStreamCreate", s2, 0), "blocking stream");
        check(cu("cuStreamBeginCapture_v2", s2.get(ADDRESS, 0), 0), "begin capture");
        assertEquals(906, cu("cuMemcpyHtoDAsync_v2", dx, hostX, 16L, MemorySegment.NULL), "CUDA_ERROR_STREAM_CAPTURE_IMPLICIT");
        assertNewError("legacy default stream");
        assertEquals(901, cu("cuStreamEndCapture", s2.get(ADDRESS, 0), g));
        assertEquals(401, cu("cuStreamEndCapture", stream, g), "not capturing: CUDA_ERROR_ILLEGAL_STATE");
        assertNewError("not capturing");

        // replaying a graph after one of its buffers was freed reports the use after free
        Emu.free(dx);
        assertTrue(cu("cuGraphLaunch", exec.get(ADDRESS, 0), stream) != 0);
        assertNewError("graph node");
        check(cu("cuGraphExecDestroy", exec.get(ADDRESS, 0)), "exec destroy");
        check(cu("cuStreamDestroy_v2", stream), "stream destroy");
        check(cu("cuStreamDestroy_v2", s2.get(ADDRESS, 0)), "stream destroy");
        assertEquals(400, cu("cuStreamSynchronize", stream), "destroyed stream");
        assertNewError("destroyed stream");
        check(cu("cuModuleUnload", m), "unload");
        Emu.free(dy);
        assertEquals(0, Emu.liveCount("graph") + Emu.liveCount("graphExec") + Emu.liveCount("stream") + Emu.liveCount("module"));
    }

    @Test
    void injectedFaultsHitTheNthCall() {
        Emu.fault("cuMemAlloc_v2", 2, 0, false);
        long a = Emu.malloc(64);
        assertEquals(2, cu("cuMemAlloc_v2", out(), 64L), "second allocation: CUDA_ERROR_OUT_OF_MEMORY");
        long c = Emu.malloc(64);
        Emu.fault("module", 1, 0, false);
        assertEquals(218, cu("cuModuleLoadData", out(), arena.allocateFrom(SAMPLE_PTX)), "injected CUDA_ERROR_INVALID_PTX");
        MemorySegment mod = module(SAMPLE_PTX); // only the first load failed
        check(cu("cuModuleUnload", mod), "unload");
        Emu.fault("kernel:emu_bn_scale", 1, 719, false);
        long gamma = Emu.upload(new float[] {2f}), var = Emu.upload(new float[] {3f}), s = Emu.malloc(4);
        MemorySegment m = module(SAMPLE_PTX);
        MemorySegment params = arena.allocate(ADDRESS, 5);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, 1));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_LONG, gamma));
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, var));
        params.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_FLOAT, 1f));
        params.setAtIndex(ADDRESS, 4, arena.allocateFrom(JAVA_LONG, s));
        MemorySegment f = function(m, "emu_bn_scale");
        assertEquals(719, launch(f, 1, 1, 1, 32, 1, 1, MemorySegment.NULL, params), "injected CUDA_ERROR_LAUNCH_FAILED");
        check(launch(f, 1, 1, 1, 32, 1, 1, MemorySegment.NULL, params), "the next launch runs");
        assertEquals(1f, Emu.download(s, 1)[0], 1e-6f, "2 * rsqrt(3 + 1)");
        check(cu("cuModuleUnload", m), "unload");
        for (long p : new long[] {a, c, gamma, var, s}) Emu.free(p);
        Emu.clearFaults();
        Emu.invoke(Emu.CUDA, "emu_set_memory_limit", null, 1L << 20);
        try {
            assertEquals(2, cu("cuMemAlloc_v2", out(), 2L << 20), "past the memory limit");
        } finally {
            Emu.invoke(Emu.CUDA, "emu_set_memory_limit", null, 0L);
        }
        assertEquals(allocationsBefore, Emu.liveAllocations());
        assertNoNewErrors();
    }

    @Test
    void aFaultOnAnyCountedEntryPointIsReturnedNotJustAnnounced() {
        MemorySegment stream = out();
        check(cu("cuStreamCreate", stream, 0), "cuStreamCreate");
        Emu.fault("cuStreamSynchronize", 1, 0, false);
        assertEquals(999, cu("cuStreamSynchronize", stream.get(ADDRESS, 0)), "injected CUDA_ERROR_UNKNOWN");
        check(cu("cuStreamSynchronize", stream.get(ADDRESS, 0)), "only the first call fails");
        Emu.fault("cuMemGetInfo_v2", 1, 201, false);
        assertEquals(201, cu("cuMemGetInfo_v2", out(), out()));
        check(cu("cuStreamDestroy_v2", stream.get(ADDRESS, 0)), "cuStreamDestroy_v2");
        MemorySegment blas = out();
        assertEquals(0, Emu.blas("cublasCreate_v2", blas));
        Emu.fault("cublasSetWorkspace_v2", 1, 0, false);
        assertEquals(14, Emu.blas("cublasSetWorkspace_v2", blas.get(ADDRESS, 0), MemorySegment.NULL, 0L),
                "injected CUBLAS_STATUS_INTERNAL_ERROR");
        assertEquals(0, Emu.blas("cublasDestroy_v2", blas.get(ADDRESS, 0)));
        long p = Emu.malloc(64);
        Emu.fault("cuMemFree_v2", 1, 0, false);
        assertEquals(999, cu("cuMemFree_v2", p), "a failing free is CUDA_ERROR_UNKNOWN, not out of memory");
        Emu.free(p);
        assertNoNewErrors();
    }

    @Test
    void hostPinnedMemoryIsTrackedSeparately() {
        MemorySegment p = out();
        check(cu("cuMemAllocHost_v2", p, 4096L), "cuMemAllocHost_v2");
        MemorySegment host = p.get(ADDRESS, 0).reinterpret(4096);
        host.fill((byte) 7);
        long d = Emu.malloc(4096);
        check(cu("cuMemcpyHtoDAsync_v2", d, host, 4096L, MemorySegment.NULL), "pinned -> device");
        MemorySegment back = arena.allocate(4096);
        check(cu("cuMemcpyDtoH_v2", back, d, 4096L), "device -> host");
        assertEquals(7, back.get(JAVA_BYTE, 4095));
        assertEquals(1, cu("cuMemFree_v2", p.get(ADDRESS, 0).address()), "pinned memory freed with cuMemFree");
        assertNewError("not device memory");
        check(cu("cuMemFreeHost", p.get(ADDRESS, 0)), "cuMemFreeHost");
        Emu.free(d);
        assertEquals(allocationsBefore, Emu.liveAllocations());
    }
}
