package io.foldrt.emu;

import static io.foldrt.emu.Emu.blas;
import static io.foldrt.emu.Emu.check;
import static io.foldrt.emu.Emu.cu;
import static io.foldrt.emu.Emu.rtc;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The emulated cuBLAS (column-major SGEMM) and NVRTC (the backend's kernel build path). */
@Tag("emulated")
class EmulatedCublasNvrtcTest {
    static final int INVALID_VALUE = 7;
    Arena arena;
    MemorySegment handle;
    int allocationsBefore;

    @BeforeEach
    void setUp() {
        arena = Arena.ofConfined();
        Emu.primaryContext();
        allocationsBefore = Emu.liveAllocations();
        MemorySegment h = arena.allocate(ADDRESS);
        check(blas("cublasCreate_v2", h), "cublasCreate_v2");
        handle = h.get(ADDRESS, 0);
    }

    @AfterEach
    void tearDown() {
        check(blas("cublasDestroy_v2", handle), "cublasDestroy_v2");
        assertEquals(allocationsBefore, Emu.liveAllocations(), "leaked device memory");
        assertEquals(0, Emu.liveCount("cublasHandle") + Emu.liveCount("nvrtcProgram"));
        arena.close();
        Emu.releasePrimary();
    }

    MemorySegment f(float v) { return arena.allocateFrom(JAVA_FLOAT, v); }

    /** Column-major reference: C = alpha op(A) op(B) + beta C with element (i, j) of X at X[i + j * ldX]. */
    static double[] reference(boolean ta, boolean tb, int m, int n, int k, float alpha, float[] a, int lda, float[] b, int ldb,
                              float beta, float[] c, int ldc) {
        double[] out = new double[c.length];
        for (int i = 0; i < c.length; i++) out[i] = c[i];
        for (int j = 0; j < n; j++)
            for (int i = 0; i < m; i++) {
                double acc = 0;
                for (int p = 0; p < k; p++)
                    acc += (double) (ta ? a[p + i * lda] : a[i + p * lda]) * (tb ? b[j + p * ldb] : b[p + j * ldb]);
                out[i + j * ldc] = alpha * acc + (beta == 0 ? 0 : beta * c[i + j * ldc]);
            }
        return out;
    }

    @Test
    void sgemmIsColumnMajorWithTransposesLeadingDimensionsAndBlending() {
        SplittableRandom rng = new SplittableRandom(7);
        int m = 5, n = 4, k = 3;
        for (boolean ta : new boolean[] {false, true})
            for (boolean tb : new boolean[] {false, true}) {
                int lda = (ta ? k : m) + 2, ldb = (tb ? n : k) + 1, ldc = m + 3; // padded leading dimensions
                float[] a = new float[lda * (ta ? m : k)], b = new float[ldb * (tb ? k : n)], c = new float[ldc * n];
                for (float[] arr : new float[][] {a, b, c}) for (int i = 0; i < arr.length; i++) arr[i] = (float) rng.nextDouble(-1, 1);
                long da = Emu.upload(a), db = Emu.upload(b), dc = Emu.upload(c);
                check(blas("cublasSgemm_v2", handle, ta ? 1 : 0, tb ? 1 : 0, m, n, k, f(1.5f), Emu.ptr(da), lda, Emu.ptr(db), ldb,
                        f(0.5f), Emu.ptr(dc), ldc), "sgemm");
                double[] ref = reference(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, c, ldc);
                float[] got = Emu.download(dc, c.length);
                for (int i = 0; i < ref.length; i++)
                    assertEquals(ref[i], got[i], 1e-5, "ta=" + ta + " tb=" + tb + " C[" + i + "]");
                for (long p : new long[] {da, db, dc}) Emu.free(p);
            }
    }

    @Test
    void sgemmValidatesArgumentsAndIgnoresCWhenBetaIsZero() {
        int m = 3, n = 2, k = 4;
        float[] a = new float[m * k], b = new float[k * n];
        for (int i = 0; i < a.length; i++) a[i] = i;
        for (int i = 0; i < b.length; i++) b[i] = 1;
        long da = Emu.upload(a), db = Emu.upload(b), dc = Emu.malloc(4L * m * n); // C is NaN garbage
        check(blas("cublasSgemm_v2", handle, 0, 0, m, n, k, f(1f), Emu.ptr(da), m, Emu.ptr(db), k, f(0f), Emu.ptr(dc), m), "sgemm");
        float[] got = Emu.download(dc, m * n);
        for (int i = 0; i < m; i++) assertEquals(i + (i + m) + (i + 2 * m) + (i + 3 * m), got[i], 0f, "row sum " + i);
        assertEquals(INVALID_VALUE, blas("cublasSgemm_v2", handle, 0, 0, m, n, k, f(1f), Emu.ptr(da), m - 1, Emu.ptr(db), k,
                f(0f), Emu.ptr(dc), m), "lda < m");
        assertEquals(INVALID_VALUE, blas("cublasSgemm_v2", handle, 1, 0, m, n, k, f(1f), Emu.ptr(da), m, Emu.ptr(db), k,
                f(0f), Emu.ptr(dc), m), "transposed A needs lda >= k");
        assertEquals(INVALID_VALUE, blas("cublasSgemm_v2", handle, 0, 0, m, n, k, f(1f), Emu.ptr(da), m, Emu.ptr(db), k,
                f(0f), Emu.ptr(dc), m - 1), "ldc < m");
        assertEquals(INVALID_VALUE, blas("cublasSgemm_v2", handle, 0, 7, m, n, k, f(1f), Emu.ptr(da), m, Emu.ptr(db), k,
                f(0f), Emu.ptr(dc), m), "bad operation");
        assertEquals(INVALID_VALUE, blas("cublasSgemm_v2", handle, 0, 0, -1, n, k, f(1f), Emu.ptr(da), m, Emu.ptr(db), k,
                f(0f), Emu.ptr(dc), m), "negative m");
        int errors = Emu.errorCount();
        assertEquals(13, blas("cublasSgemm_v2", handle, 0, 0, m, n, k + 1, f(1f), Emu.ptr(da), m, Emu.ptr(db), k + 1,
                f(0f), Emu.ptr(dc), m), "operands larger than their buffers: CUBLAS_STATUS_EXECUTION_FAILED");
        assertTrue(Emu.errorCount() > errors);
        check(blas("cublasSetMathMode", handle, 3), "TF32 math mode");
        assertEquals(INVALID_VALUE, blas("cublasSetMathMode", handle, 9));
        MemorySegment msg = (MemorySegment) Emu.invoke(Emu.CUBLAS, "cublasGetStatusString", ADDRESS, INVALID_VALUE);
        assertTrue(msg.reinterpret(100).getString(0).contains("invalid"));
        for (long p : new long[] {da, db, dc}) Emu.free(p);
    }

    private MemorySegment program(String src) {
        MemorySegment p = arena.allocate(ADDRESS);
        check(rtc("nvrtcCreateProgram", p, arena.allocateFrom(src), arena.allocateFrom("test.cu"), 0, MemorySegment.NULL,
                MemorySegment.NULL), "nvrtcCreateProgram");
        return p.get(ADDRESS, 0);
    }

    private int compile(MemorySegment prog, String... options) {
        MemorySegment opts = arena.allocate(ADDRESS, Math.max(1, options.length));
        for (int i = 0; i < options.length; i++) opts.setAtIndex(ADDRESS, i, arena.allocateFrom(options[i]));
        return rtc("nvrtcCompileProgram", prog, options.length, opts);
    }

    private String text(MemorySegment prog, String sizeFn, String getFn) {
        MemorySegment n = arena.allocate(JAVA_LONG);
        check(rtc(sizeFn, prog, n), sizeFn);
        long len = n.get(JAVA_LONG, 0);
        if (len == 0) return "";
        MemorySegment buf = arena.allocate(len);
        check(rtc(getFn, prog, buf), getFn);
        return buf.getString(0);
    }

    private void destroy(MemorySegment prog) {
        MemorySegment p = arena.allocateFrom(ADDRESS, prog);
        check(rtc("nvrtcDestroyProgram", p), "nvrtcDestroyProgram");
    }

    @Test
    void nvrtcBuildsTheSampleKernelsIntoAModuleTheDriverRuns() throws Exception {
        String src = Files.readString(Path.of("src/test/native/kernels/sample/emu_sample_kernels.cu"));
        MemorySegment prog = program(src);
        check(compile(prog, "--gpu-architecture=sm_90", "--fmad=false"), "compile");
        String cubin = text(prog, "nvrtcGetCUBINSize", "nvrtcGetCUBIN");
        assertTrue(cubin.contains(".entry emu_saxpy("), cubin);
        MemorySegment mod = arena.allocate(ADDRESS), fn = arena.allocate(ADDRESS);
        check(cu("cuModuleLoadData", mod, arena.allocateFrom(cubin)), "load CUBIN");
        check(cu("cuModuleGetFunction", fn, mod.get(ADDRESS, 0), arena.allocateFrom("emu_bn_scale")), "get function");
        long gamma = Emu.upload(new float[] {3f, 4f}), var = Emu.upload(new float[] {8f, 0f}), s = Emu.malloc(8);
        MemorySegment params = arena.allocate(ADDRESS, 5);
        params.setAtIndex(ADDRESS, 0, arena.allocateFrom(JAVA_INT, 2));
        params.setAtIndex(ADDRESS, 1, arena.allocateFrom(JAVA_LONG, gamma));
        params.setAtIndex(ADDRESS, 2, arena.allocateFrom(JAVA_LONG, var));
        params.setAtIndex(ADDRESS, 3, arena.allocateFrom(JAVA_FLOAT, 1f));
        params.setAtIndex(ADDRESS, 4, arena.allocateFrom(JAVA_LONG, s));
        check(cu("cuLaunchKernel", fn.get(ADDRESS, 0), 1, 1, 1, 32, 1, 1, 0, MemorySegment.NULL, params, MemorySegment.NULL), "launch");
        float[] got = Emu.download(s, 2);
        assertEquals(1f, got[0], 1e-6f);
        assertEquals(4f, got[1], 1e-6f);
        check(cu("cuModuleUnload", mod.get(ADDRESS, 0)), "unload");
        for (long p : new long[] {gamma, var, s}) Emu.free(p);
        // a virtual architecture gives PTX only
        check(compile(prog, "-arch=compute_90"), "compile for compute_90");
        assertEquals("", text(prog, "nvrtcGetCUBINSize", "nvrtcGetCUBIN"));
        assertTrue(text(prog, "nvrtcGetPTXSize", "nvrtcGetPTX").contains(".version 8.5"));
        destroy(prog);
    }

    @Test
    void nvrtcRejectsBadOptionsAndKernelsTheHostBuildDoesNotMatch() {
        MemorySegment prog = program("extern \"C\" __global__ void emu_saxpy(int n, float a, const float *x, float *y) {}\n");
        assertEquals(5, compile(prog, "--gpu-architecture=sm_91"), "NVRTC_ERROR_INVALID_OPTION");
        assertTrue(text(prog, "nvrtcGetProgramLogSize", "nvrtcGetProgramLog").contains("sm_91"));
        assertEquals(5, compile(prog, "--no-such-flag"));
        check(compile(prog, "--gpu-architecture=sm_90"), "the exact prototype compiles");
        destroy(prog);
        MemorySegment changed = program("extern \"C\" __global__ void emu_saxpy(int n, double a, const float *x, float *y) {}\n");
        assertEquals(6, compile(changed, "--gpu-architecture=sm_90"), "a prototype that differs from the host build");
        assertTrue(text(changed, "nvrtcGetProgramLogSize", "nvrtcGetProgramLog").contains("differs from the host build"));
        destroy(changed);
        MemorySegment mangled = program("__global__ void k(float *y) {}\n");
        assertEquals(6, compile(mangled), "a __global__ function without extern \"C\"");
        Emu.fault("nvrtcDestroyProgram", 1, 0, false);
        assertEquals(6, rtc("nvrtcDestroyProgram", arena.allocateFrom(ADDRESS, mangled)), "an injected fault");
        destroy(mangled);
    }
}
