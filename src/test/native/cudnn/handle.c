/*
 * handle.c - cuDNN version, error strings, the handle and its stream; status numbering.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cudnn_emu.h"

static size_t g_version = 91900; /* cuDNN 9.19.0, the version org.bytedeco:cuda 13.1-9.19 declares */
static __thread char t_last[512];

__attribute__((constructor)) static void dnn_init(void) {
    const char *v = getenv("EMU_CUDNN_VERSION");
    if (v && atol(v) > 0) g_version = (size_t) atol(v);
}

/* cuDNN 8 numbered statuses 0..14 (cudnn_ops_infer.h 8.9); cuDNN 9 groups them by thousands. */
static int to_v8(int s) {
    if (s == 0) return 0;
    switch (s / 1000) {
    case 1: return s == 1005 ? 10 : s == 1006 ? 12 : s == 1007 ? 13 : s == 1002 ? 14 : 1;
    case 2: return s == 2001 ? 5 : 3;
    case 3: return s == 3007 ? 6 : s == 3008 ? 11 : 9;
    case 4: return s == 4003 ? 2 : s == 4006 ? 7 : 4;
    case 5: return 8;
    default: return 4;
    }
}

cudnnStatus_t dnn_ret(cudnnStatus_t s, const char *fmt, ...) {
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t_last, sizeof t_last, fmt, ap);
        va_end(ap);
        emu_log("cuDNN status %d: %s", s, t_last);
    }
    return g_version < 9000 ? to_v8(s) : s;
}

int dnn_enter(const char *name) {
    int f = emu_enter(name);
    if (f) snprintf(t_last, sizeof t_last, "%s: injected fault %d", name, f);
    return f;
}

cudnnStatus_t dnn_handle(const cudnn_handle *h, const char *call) {
    if (!h || h->magic != MAGIC_HANDLE) {
        if (h && h->magic == MAGIC_DEAD) emu_error("%s with a destroyed cuDNN handle", call);
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: invalid handle", call);
    }
    int r = emu_runtime_bind();
    if (r) return dnn_ret(CUDNN_STATUS_EXECUTION_FAILED, "%s: CUDA error %d", call, r);
    return 0;
}

cudnnStatus_t dnn_submit(const cudnn_handle *h, const char *name, emu_work_fn fn, const void *payload, size_t size) {
    int r = emu_stream_submit(h->stream, name, fn, payload, size);
    if (r == 0) return 0;
    if (r >= 1000) return dnn_ret(r, "%s failed", name);  /* the operation's own cuDNN status */
    return dnn_ret(CUDNN_STATUS_EXECUTION_FAILED, "%s: CUDA error %d while executing", name, r);
}

EMU_EXPORT size_t cudnnGetVersion(void) {
    emu_enter("cudnnGetVersion");
    return g_version;
}

EMU_EXPORT size_t cudnnGetCudartVersion(void) { return 12060; }

EMU_EXPORT const char *cudnnGetErrorString(cudnnStatus_t s) {
    if (g_version < 9000) {
        static const char *v8[] = {"CUDNN_STATUS_SUCCESS", "CUDNN_STATUS_NOT_INITIALIZED", "CUDNN_STATUS_ALLOC_FAILED",
                                   "CUDNN_STATUS_BAD_PARAM", "CUDNN_STATUS_INTERNAL_ERROR", "CUDNN_STATUS_INVALID_VALUE",
                                   "CUDNN_STATUS_ARCH_MISMATCH", "CUDNN_STATUS_MAPPING_ERROR",
                                   "CUDNN_STATUS_EXECUTION_FAILED", "CUDNN_STATUS_NOT_SUPPORTED",
                                   "CUDNN_STATUS_LICENSE_ERROR", "CUDNN_STATUS_RUNTIME_PREREQUISITE_MISSING",
                                   "CUDNN_STATUS_RUNTIME_IN_PROGRESS", "CUDNN_STATUS_RUNTIME_FP_OVERFLOW",
                                   "CUDNN_STATUS_VERSION_MISMATCH"};
        return s >= 0 && s <= 14 ? v8[s] : "CUDNN_UNKNOWN_STATUS";
    }
    switch (s) {
    case 0: return "CUDNN_STATUS_SUCCESS";
    case 1001: return "CUDNN_STATUS_NOT_INITIALIZED";
    case 1002: return "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH";
    case 2000: return "CUDNN_STATUS_BAD_PARAM";
    case 2001: return "CUDNN_STATUS_INVALID_VALUE";
    case 2002: return "CUDNN_STATUS_BAD_PARAM_NULL_POINTER";
    case 2008: return "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH";
    case 3000: return "CUDNN_STATUS_NOT_SUPPORTED";
    case 3007: return "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH";
    case 4000: return "CUDNN_STATUS_INTERNAL_ERROR";
    case 4003: return "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED";
    case 5000: return "CUDNN_STATUS_EXECUTION_FAILED";
    default: return "CUDNN_UNKNOWN_STATUS";
    }
}

EMU_EXPORT void cudnnGetLastErrorString(char *message, size_t max) {
    if (message && max) snprintf(message, max, "%s", t_last);
}

EMU_EXPORT cudnnStatus_t cudnnCreate(cudnn_handle **out) {
    int f = dnn_enter("cudnnCreate");
    if (f) return dnn_ret(f, NULL);
    if (!out) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnCreate: handle pointer is NULL");
    int r = emu_runtime_bind();
    if (r) return dnn_ret(CUDNN_STATUS_NOT_INITIALIZED, "cudnnCreate: CUDA error %d", r);
    cudnn_handle *h = calloc(1, sizeof *h);
    h->magic = MAGIC_HANDLE;
    emu_track("cudnnHandle", 1);
    *out = h;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnDestroy(cudnn_handle *h) {
    int f = dnn_enter("cudnnDestroy");
    if (f) return dnn_ret(f, NULL);
    if (!h || h->magic != MAGIC_HANDLE) {
        emu_error("cudnnDestroy on an invalid or already destroyed handle %p", (void *) h);
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnDestroy: invalid handle");
    }
    h->magic = MAGIC_DEAD; /* kept: a later use is reported */
    emu_track("cudnnHandle", -1);
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnSetStream(cudnn_handle *h, void *stream) {
    int f = dnn_enter("cudnnSetStream");
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t s = dnn_handle(h, "cudnnSetStream");
    if (s) return s;
    if (emu_stream_check(stream)) {
        emu_error("cudnnSetStream with an invalid or destroyed stream %p", stream);
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetStream: invalid stream");
    }
    h->stream = stream;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetStream(cudnn_handle *h, void **stream) {
    cudnnStatus_t s = dnn_handle(h, "cudnnGetStream");
    if (s) return s;
    if (!stream) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    *stream = h->stream;
    return 0;
}

/* cuDNN 9 sub-library version checks: the emulator is one library, always consistent. */
EMU_EXPORT cudnnStatus_t cudnnOpsVersionCheck(void) { return 0; }
EMU_EXPORT cudnnStatus_t cudnnCnnVersionCheck(void) { return 0; }
EMU_EXPORT cudnnStatus_t cudnnGraphVersionCheck(void) { return 0; }
