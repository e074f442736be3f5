package io.foldrt.nativebind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * java.lang.foreign binding of the cuBLAS v2 functions FoldRT uses (cuBLAS 13 or 12: same exported names).
 * Only the {@code _v2} names are looked up: the un-suffixed {@code cublasSgemm} is the legacy API with a
 * different signature. Each method is one C call that throws {@link CublasException} on a non-zero status.
 */
public final class Cublas {
    public static final int CUBLAS_OP_N = 0;
    public static final int CUBLAS_OP_T = 1;
    public static final int CUBLAS_DEFAULT_MATH = 0;
    public static final int CUBLAS_TF32_TENSOR_OP_MATH = 3;

    private static final Map<String, FunctionDescriptor> SIGNATURES;
    static {
        Map<String, FunctionDescriptor> m = new LinkedHashMap<>();
        m.put("cublasCreate_v2", Sig.of("IA"));
        m.put("cublasDestroy_v2", Sig.of("IA"));
        m.put("cublasSetStream_v2", Sig.of("IAA"));
        m.put("cublasGetVersion_v2", Sig.of("IAA"));
        m.put("cublasSetMathMode", Sig.of("IAI"));
        m.put("cublasSetWorkspace_v2", Sig.of("IAAJ"));
        m.put("cublasGetStatusString", Sig.of("AI")); // bound when present; only used for messages
        m.put("cublasSgemm_v2", Sig.of("IAIIIIIAAIAIAAI"));
        m.put("cublasDgemm_v2", Sig.of("IAIIIIIAAIAIAAI"));
        SIGNATURES = Collections.unmodifiableMap(m);
    }

    private static Cublas instance;

    private final NativeLibraries.Library library;
    private final MethodHandle create, destroy, setStream, getVersion, setMathMode, setWorkspace, sgemm, dgemm;
    private final Optional<MethodHandle> statusString;

    public static Map<String, FunctionDescriptor> signatures() {
        return SIGNATURES;
    }

    /** The process-wide binding; loads the library on first success (failures are not cached). */
    public static synchronized Cublas load() {
        if (instance == null) {
            NativeLibraries.Library lib = NativeLibraries.load("cuBLAS", NativeLibraries.CUBLAS_PROPERTY,
                    NativeLibraries.CUBLAS_DEFAULTS);
            try {
                instance = new Cublas(lib);
            } catch (RuntimeException e) {
                lib.release();
                throw e;
            }
        }
        return instance;
    }

    private Cublas(NativeLibraries.Library library) {
        this.library = library;
        Binder b = new Binder(library, SIGNATURES);
        create = b.require("cublasCreate_v2");
        destroy = b.require("cublasDestroy_v2");
        setStream = b.require("cublasSetStream_v2");
        getVersion = b.require("cublasGetVersion_v2");
        setMathMode = b.require("cublasSetMathMode");
        setWorkspace = b.require("cublasSetWorkspace_v2");
        statusString = b.optional("cublasGetStatusString");
        sgemm = b.require("cublasSgemm_v2");
        dgemm = b.require("cublasDgemm_v2");
    }

    public List<String> files() {
        return library.files();
    }

    private void check(String call, int status) {
        if (status == 0) return;
        String text = null;
        if (statusString.isPresent()) {
            try {
                text = Binder.cString((MemorySegment) statusString.get().invokeExact(status));
            } catch (Throwable ignored) {
                // the status name already says what failed
            }
        }
        throw new CublasException(call, status, text);
    }

    public MemorySegment create() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check("cublasCreate_v2", Binder.status(() -> (int) create.invokeExact(out)));
            return out.get(ADDRESS, 0);
        }
    }

    public void destroy(MemorySegment handle) {
        check("cublasDestroy_v2", Binder.status(() -> (int) destroy.invokeExact(handle)));
    }

    public void setStream(MemorySegment handle, MemorySegment stream) {
        check("cublasSetStream_v2", Binder.status(() -> (int) setStream.invokeExact(handle, stream)));
    }

    /** MAJOR*10000 + MINOR*100 + PATCH, e.g. 120604. */
    public int version(MemorySegment handle) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(JAVA_INT);
            check("cublasGetVersion_v2", Binder.status(() -> (int) getVersion.invokeExact(handle, out)));
            return out.get(JAVA_INT, 0);
        }
    }

    public void setMathMode(MemorySegment handle, int mode) {
        check("cublasSetMathMode", Binder.status(() -> (int) setMathMode.invokeExact(handle, mode)));
    }

    public void setWorkspace(MemorySegment handle, MemorySegment workspace, long bytes) {
        check("cublasSetWorkspace_v2", Binder.status(() -> (int) setWorkspace.invokeExact(handle, workspace, bytes)));
    }

    /** Column-major C = alpha * op(A) * op(B) + beta * C; alpha and beta are host pointers to float. */
    public void sgemm(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha,
                      MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment beta, MemorySegment c,
                      int ldc) {
        check("cublasSgemm_v2", Binder.status(() ->
                (int) sgemm.invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)));
    }

    /** As {@link #sgemm} in double precision: alpha and beta are host pointers to double, A, B, C hold doubles. */
    public void dgemm(MemorySegment handle, int transa, int transb, int m, int n, int k, MemorySegment alpha,
                      MemorySegment a, int lda, MemorySegment b, int ldb, MemorySegment beta, MemorySegment c,
                      int ldc) {
        check("cublasDgemm_v2", Binder.status(() ->
                (int) dgemm.invokeExact(handle, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)));
    }
}
