/*
 * cublas_emu.c - emulated cuBLAS v2 API: handles, stream, math/pointer modes, workspace, and SGEMM /
 * DGEMM / GemmEx with true column-major semantics (DGEMM reads, accumulates and writes double).
 *
 *   C = alpha * op(A) * op(B) + beta * C, all matrices column-major:
 *   op(A) is m x k, op(B) is k x n, C is m x n; element (i, j) of a matrix X with leading dimension
 *   ldX is X[i + j * ldX]. A is lda x (transa == N ? k : m), B is ldb x (transb == N ? n : k).
 * Argument checks follow the cuBLAS documentation: m, n, k < 0, an invalid operation, or a leading
 * dimension smaller than the rows it must hold give CUBLAS_STATUS_INVALID_VALUE; m == 0 or n == 0
 * returns at once; with beta == 0, C is not read (it may hold NaN garbage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu_api.h"

typedef int cublasStatus_t;
enum {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
};
enum { OP_N = 0, OP_T = 1, OP_C = 2 };

#define MAGIC 0x43424c48u
#define DEAD 0xdeadbeefu

typedef struct {
    uint32_t magic;
    void *stream;
    int math;
    int pointer_mode; /* 0 host, 1 device */
    void *workspace;
    size_t workspace_size;
} cublas_handle;

static cublasStatus_t handle_ok(const cublas_handle *h, const char *call) {
    if (!h || h->magic != MAGIC) {
        if (h && h->magic == DEAD) emu_error("%s with a destroyed cuBLAS handle", call);
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    return emu_runtime_bind() ? CUBLAS_STATUS_EXECUTION_FAILED : CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT const char *cublasGetStatusString(cublasStatus_t s) {
    switch (s) {
    case 0: return "the operation completed successfully";
    case 1: return "the library was not initialized";
    case 3: return "the resource allocation failed";
    case 7: return "an invalid numeric value was used as an argument";
    case 8: return "an absent device architectural feature is required";
    case 11: return "an access to GPU memory space failed";
    case 13: return "the GPU program failed to execute";
    case 14: return "an internal operation failed";
    case 15: return "the functionality requested is not supported";
    case 16: return "error detected trying to check the license";
    default: return "unknown error";
    }
}

EMU_EXPORT const char *cublasGetStatusName(cublasStatus_t s) {
    switch (s) {
    case 0: return "CUBLAS_STATUS_SUCCESS";
    case 1: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case 3: return "CUBLAS_STATUS_ALLOC_FAILED";
    case 7: return "CUBLAS_STATUS_INVALID_VALUE";
    case 8: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case 11: return "CUBLAS_STATUS_MAPPING_ERROR";
    case 13: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case 14: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case 15: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case 16: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "CUBLAS_STATUS_UNKNOWN";
    }
}

EMU_EXPORT cublasStatus_t cublasCreate_v2(cublas_handle **out) {
    int f = emu_enter("cublasCreate_v2");
    if (f) return f;
    if (!out) return CUBLAS_STATUS_INVALID_VALUE;
    if (emu_runtime_bind()) return CUBLAS_STATUS_NOT_INITIALIZED;
    cublas_handle *h = calloc(1, sizeof *h);
    h->magic = MAGIC;
    emu_track("cublasHandle", 1);
    *out = h;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasDestroy_v2(cublas_handle *h) {
    EMU_ENTER_OR_FAIL("cublasDestroy_v2");
    if (!h || h->magic != MAGIC) {
        emu_error("cublasDestroy_v2 on an invalid or already destroyed handle %p", (void *) h);
        return CUBLAS_STATUS_NOT_INITIALIZED;
    }
    h->magic = DEAD;
    emu_track("cublasHandle", -1);
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasGetVersion_v2(cublas_handle *h, int *version) {
    EMU_ENTER_OR_FAIL("cublasGetVersion_v2");
    cublasStatus_t s = handle_ok(h, "cublasGetVersion_v2");
    if (s) return s;
    if (!version) return CUBLAS_STATUS_INVALID_VALUE;
    *version = 120604; /* 12.6.4 */
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasSetStream_v2(cublas_handle *h, void *stream) {
    int f = emu_enter("cublasSetStream_v2");
    if (f) return f;
    cublasStatus_t s = handle_ok(h, "cublasSetStream_v2");
    if (s) return s;
    if (emu_stream_check(stream)) {
        emu_error("cublasSetStream_v2 with an invalid or destroyed stream %p", stream);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    h->stream = stream;
    /* cuBLAS documents that setting a stream resets a user workspace to the default pool. */
    h->workspace = NULL;
    h->workspace_size = 0;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasGetStream_v2(cublas_handle *h, void **stream) {
    EMU_ENTER_OR_FAIL("cublasGetStream_v2");
    cublasStatus_t s = handle_ok(h, "cublasGetStream_v2");
    if (s) return s;
    if (!stream) return CUBLAS_STATUS_INVALID_VALUE;
    *stream = h->stream;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasSetMathMode(cublas_handle *h, int mode) {
    int f = emu_enter("cublasSetMathMode");
    if (f) return f;
    cublasStatus_t s = handle_ok(h, "cublasSetMathMode");
    if (s) return s;
    int base = mode & ~16; /* CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION is a flag */
    if (base < 0 || base > 3) return CUBLAS_STATUS_INVALID_VALUE;
    h->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasGetMathMode(cublas_handle *h, int *mode) {
    EMU_ENTER_OR_FAIL("cublasGetMathMode");
    cublasStatus_t s = handle_ok(h, "cublasGetMathMode");
    if (s) return s;
    if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = h->math;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasSetPointerMode_v2(cublas_handle *h, int mode) {
    EMU_ENTER_OR_FAIL("cublasSetPointerMode_v2");
    cublasStatus_t s = handle_ok(h, "cublasSetPointerMode_v2");
    if (s) return s;
    if (mode != 0 && mode != 1) return CUBLAS_STATUS_INVALID_VALUE;
    h->pointer_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasGetPointerMode_v2(cublas_handle *h, int *mode) {
    EMU_ENTER_OR_FAIL("cublasGetPointerMode_v2");
    cublasStatus_t s = handle_ok(h, "cublasGetPointerMode_v2");
    if (s) return s;
    if (!mode) return CUBLAS_STATUS_INVALID_VALUE;
    *mode = h->pointer_mode;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_EXPORT cublasStatus_t cublasSetWorkspace_v2(cublas_handle *h, void *ws, size_t size) {
    EMU_ENTER_OR_FAIL("cublasSetWorkspace_v2");
    cublasStatus_t s = handle_ok(h, "cublasSetWorkspace_v2");
    if (s) return s;
    if (size && !ws) return CUBLAS_STATUS_INVALID_VALUE;
    if (ws && ((uintptr_t) ws % 256)) return CUBLAS_STATUS_INVALID_VALUE; /* must be 256-byte aligned */
    if (ws && emu_check_range(ws, size, EMU_MEM_DEVICE, "cuBLAS workspace")) return CUBLAS_STATUS_INVALID_VALUE;
    h->workspace = ws;
    h->workspace_size = size;
    return CUBLAS_STATUS_SUCCESS;
}

/* ---- GEMM ------------------------------------------------------------------------------------- */

typedef struct {
    int ta, tb, m, n, k, lda, ldb, ldc;
    int dbl; /* 1: double operands and scalars (DGEMM), 0: float */
    double alpha, beta;
    const void *a, *b;
    void *c;
    char call[32];
} gemm_work;

/* Bytes a column-major operand spans: (cols - 1) * ld + rows elements of `elem` bytes. */
static size_t span(int rows, int cols, int ld, size_t elem) {
    return rows == 0 || cols == 0 ? 0 : ((size_t) (cols - 1) * (size_t) ld + (size_t) rows) * elem;
}

/* Element i of a float (dbl == 0) or double array. */
static double at(const void *x, size_t i, int dbl) {
    return dbl ? ((const double *) x)[i] : (double) ((const float *) x)[i];
}

static int check_operands(const gemm_work *w) {
    int arows = w->ta == OP_N ? w->m : w->k, acols = w->ta == OP_N ? w->k : w->m;
    int brows = w->tb == OP_N ? w->k : w->n, bcols = w->tb == OP_N ? w->n : w->k;
    size_t e = w->dbl ? sizeof(double) : sizeof(float);
    int bad = 0;
    if (w->k > 0 && w->alpha != 0.0) {
        bad |= emu_check_range(w->a, span(arows, acols, w->lda, e), EMU_MEM_DEVICE | EMU_MEM_HOST, "GEMM matrix A") != 0;
        bad |= emu_check_range(w->b, span(brows, bcols, w->ldb, e), EMU_MEM_DEVICE | EMU_MEM_HOST, "GEMM matrix B") != 0;
    }
    bad |= emu_check_range(w->c, span(w->m, w->n, w->ldc, e), EMU_MEM_DEVICE | EMU_MEM_HOST, "GEMM matrix C") != 0;
    if (bad) emu_error("%s: a matrix operand is not inside device memory (see the line above)", w->call);
    return bad;
}

static int run_gemm(void *payload) {
    const gemm_work *w = payload;
    if (check_operands(w)) return CUBLAS_STATUS_EXECUTION_FAILED + 1000; /* marks a library status */
    for (int j = 0; j < w->n; j++) {
        for (int i = 0; i < w->m; i++) {
            size_t ci = i + (size_t) j * w->ldc;
            if (w->dbl) { /* float64 products and sum, as cublasDgemm_v2 */
                double acc = 0.0;
                if (w->alpha != 0.0)
                    for (int p = 0; p < w->k; p++)
                        acc += at(w->a, w->ta == OP_N ? i + (size_t) p * w->lda : p + (size_t) i * w->lda, 1) *
                               at(w->b, w->tb == OP_N ? p + (size_t) j * w->ldb : j + (size_t) p * w->ldb, 1);
                double v = w->alpha * acc, *cc = (double *) w->c + ci;
                *cc = w->beta != 0.0 ? v + w->beta * *cc : v;
            } else { /* float32 products and sum, as cublasSgemm_v2 */
                float acc = 0.0f, alpha = (float) w->alpha, beta = (float) w->beta;
                if (alpha != 0.0f)
                    for (int p = 0; p < w->k; p++)
                        acc += (float) at(w->a, w->ta == OP_N ? i + (size_t) p * w->lda : p + (size_t) i * w->lda, 0) *
                               (float) at(w->b, w->tb == OP_N ? p + (size_t) j * w->ldb : j + (size_t) p * w->ldb, 0);
                float v = alpha * acc, *cc = (float *) w->c + ci;
                *cc = beta != 0.0f ? v + beta * *cc : v;
            }
        }
    }
    return 0;
}

static cublasStatus_t gemm(const char *call, int dbl, cublas_handle *h, int ta, int tb, int m, int n, int k, const void *alpha,
                           const void *a, int lda, const void *b, int ldb, const void *beta, void *c, int ldc) {
    int f = emu_enter(call);
    if (f) return f;
    cublasStatus_t s = handle_ok(h, call);
    if (s) return s;
    if (ta < OP_N || ta > OP_C || tb < OP_N || tb > OP_C || m < 0 || n < 0 || k < 0) return CUBLAS_STATUS_INVALID_VALUE;
    int arows = ta == OP_N ? m : k, brows = tb == OP_N ? k : n;
    if (lda < (arows > 1 ? arows : 1) || ldb < (brows > 1 ? brows : 1) || ldc < (m > 1 ? m : 1)) {
        emu_log("%s: leading dimension too small (lda %d rows %d, ldb %d rows %d, ldc %d rows %d)", call, lda, arows, ldb,
                brows, ldc, m);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0) return CUBLAS_STATUS_SUCCESS;
    if (!alpha || !beta) return CUBLAS_STATUS_INVALID_VALUE;
    gemm_work w = {ta == OP_C ? OP_T : ta, tb == OP_C ? OP_T : tb, m, n, k, lda, ldb, ldc, dbl, 0, 0, a, b, c, ""};
    size_t e = dbl ? sizeof(double) : sizeof(float);
    snprintf(w.call, sizeof w.call, "%s", call);
    if (h->pointer_mode == 1) { /* device pointers: read them as device memory */
        if (emu_check_range(alpha, e, EMU_MEM_DEVICE | EMU_MEM_HOST, "alpha (device pointer mode)") ||
            emu_check_range(beta, e, EMU_MEM_DEVICE | EMU_MEM_HOST, "beta (device pointer mode)"))
            return CUBLAS_STATUS_INVALID_VALUE;
    }
    w.alpha = at(alpha, 0, dbl);
    w.beta = at(beta, 0, dbl);
    if (check_operands(&w)) return CUBLAS_STATUS_EXECUTION_FAILED;
    int r = emu_stream_submit(h->stream, call, run_gemm, &w, sizeof w);
    if (r == 0) return CUBLAS_STATUS_SUCCESS;
    return r > 1000 ? r - 1000 : CUBLAS_STATUS_EXECUTION_FAILED;
}

EMU_EXPORT cublasStatus_t cublasSgemm_v2(cublas_handle *h, int ta, int tb, int m, int n, int k, const float *alpha,
                                         const float *a, int lda, const float *b, int ldb, const float *beta, float *c,
                                         int ldc) {
    return gemm("cublasSgemm_v2", 0, h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

EMU_EXPORT cublasStatus_t cublasDgemm_v2(cublas_handle *h, int ta, int tb, int m, int n, int k, const double *alpha,
                                         const double *a, int lda, const double *b, int ldb, const double *beta,
                                         double *c, int ldc) {
    return gemm("cublasDgemm_v2", 1, h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/* GemmEx: FP32 data only (CUDA_R_32F = 0) with an FP32 compute type. */
EMU_EXPORT cublasStatus_t cublasGemmEx(cublas_handle *h, int ta, int tb, int m, int n, int k, const void *alpha,
                                       const void *a, int atype, int lda, const void *b, int btype, int ldb,
                                       const void *beta, void *c, int ctype, int ldc, int compute, int algo) {
    if (atype != 0 || btype != 0 || ctype != 0) {
        emu_enter("cublasGemmEx");
        fprintf(stderr, "emu: cublasGemmEx: data types %d/%d/%d: the emulator computes CUDA_R_32F only\n", atype, btype, ctype);
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    /* CUBLAS_COMPUTE_32F(_PEDANTIC/_FAST_16F/_FAST_16BF/_FAST_TF32) = 68, 69, 74, 75, 77 */
    if (compute != 68 && compute != 69 && compute != 74 && compute != 75 && compute != 77) {
        emu_enter("cublasGemmEx");
        return CUBLAS_STATUS_NOT_SUPPORTED;
    }
    if (!(algo == -1 || (algo >= 0 && algo <= 23) || (algo >= 99 && algo <= 115))) {
        emu_enter("cublasGemmEx");
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    return gemm("cublasGemmEx", 0, h, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
