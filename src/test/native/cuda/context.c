/*
 * context.c - primary and created contexts, and the per-thread current context.
 *
 * The driver keeps a current context per host thread (and a per-thread stack for push/pop). Every call
 * that works on device state fails with CUDA_ERROR_INVALID_CONTEXT on a thread that has none: this is
 * what catches a worker thread that forgot cuCtxSetCurrent. The emulator logs such calls as misuse.
 */
#include <stdio.h>
#include <stdlib.h>
#include "emu_cuda.h"

emu_stream *emu_stream_new_null(emu_ctx *ctx); /* stream.c */

static emu_ctx g_primary = {EMU_MAGIC_CTX, 0, 1, 0, 0, 0, 0, NULL};

#define STACK_MAX 16
static __thread emu_ctx *t_stack[STACK_MAX]; /* t_stack[t_depth-1] is current */
static __thread int t_depth;

emu_ctx *emu_current_ctx(void) { return t_depth ? t_stack[t_depth - 1] : NULL; }

static void set_current(emu_ctx *c) {
    if (c == NULL) {
        if (t_depth) t_stack[--t_depth] = NULL; /* cuCtxSetCurrent(NULL) pops the top */
        return;
    }
    if (t_depth == 0) t_depth = 1;
    t_stack[t_depth - 1] = c;
}

static int ctx_valid(const emu_ctx *c) {
    return c && c->magic == EMU_MAGIC_CTX && c->refcount > 0;
}

int emu_ctx_alive(const emu_ctx *c, unsigned generation) {
    return ctx_valid(c) && c->generation == generation;
}

void emu_ctx_set_sticky(emu_ctx *c, CUresult err) {
    if (c) c->sticky = err;
}

EMU_EXPORT int emu_thread_has_context(void) { return ctx_valid(emu_current_ctx()); }

CUresult emu_require_ctx(const char *call, emu_ctx **out) {
    if (!emu_initialized()) {
        emu_error("%s before cuInit (CUDA_ERROR_NOT_INITIALIZED)", call);
        return CUDA_ERROR_NOT_INITIALIZED;
    }
    emu_ctx *c = emu_current_ctx();
    if (!c) {
        emu_error("%s on a thread with no current context (CUDA_ERROR_INVALID_CONTEXT): "
                  "call cuCtxSetCurrent on this thread first", call);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (!ctx_valid(c)) {
        emu_error("%s: the thread's current context was released or destroyed (CUDA_ERROR_INVALID_CONTEXT)", call);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (c->sticky) return c->sticky;
    if (out) *out = c;
    return CUDA_SUCCESS;
}

static void activate(emu_ctx *c) {
    c->generation++;
    c->sticky = 0;
    if (!c->null_stream) c->null_stream = emu_stream_new_null(c);
    c->null_stream->ctx = c;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxRetain(void **pctx, CUdevice dev) {
    int f = emu_enter("cuDevicePrimaryCtxRetain");
    if (f) return f;
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    emu_lock();
    if (g_primary.refcount++ == 0) activate(&g_primary);
    emu_track("primaryContextRetain", 1); /* the application's outstanding retains */
    emu_unlock();
    *pctx = &g_primary;
    return CUDA_SUCCESS;
}

static CUresult primary_release(CUdevice dev, const char *name) {
    EMU_ENTER_OR_FAIL(name);
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    emu_lock();
    if (g_primary.refcount == 0) {
        emu_unlock();
        emu_error("%s: primary context is not retained (release without retain)", name);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    emu_track("primaryContextRetain", -1);
    if (--g_primary.refcount == 0) emu_mem_release_ctx(&g_primary);
    emu_unlock();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev) { return primary_release(dev, "cuDevicePrimaryCtxRelease_v2"); }
EMU_EXPORT CUresult cuDevicePrimaryCtxRelease(CUdevice dev) { return primary_release(dev, "cuDevicePrimaryCtxRelease"); }

EMU_EXPORT CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDevicePrimaryCtxReset_v2");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    emu_lock();
    if (g_primary.refcount > 0) {
        emu_mem_release_ctx(&g_primary); /* a reset destroys the context's resources */
        g_primary.generation++;
        g_primary.sticky = 0;
    }
    emu_unlock();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned *flags, int *active) {
    EMU_ENTER_OR_FAIL("cuDevicePrimaryCtxGetState");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!flags || !active) return CUDA_ERROR_INVALID_VALUE;
    *flags = g_primary.flags;
    *active = g_primary.refcount > 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned flags) {
    EMU_ENTER_OR_FAIL("cuDevicePrimaryCtxSetFlags_v2");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    g_primary.flags = flags;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxCreate_v2(void **pctx, unsigned flags, CUdevice dev) {
    int f = emu_enter("cuCtxCreate_v2");
    if (f) return f;
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    emu_ctx *c = calloc(1, sizeof *c);
    c->magic = EMU_MAGIC_CTX;
    c->refcount = 1;
    c->flags = flags;
    emu_lock();
    activate(c);
    emu_unlock();
    emu_track("context", 1);
    /* cuCtxCreate pushes the new context onto the calling thread's stack. */
    if (t_depth < STACK_MAX) t_stack[t_depth++] = c;
    *pctx = c;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxDestroy_v2(void *ctx) {
    EMU_ENTER_OR_FAIL("cuCtxDestroy_v2");
    emu_ctx *c = ctx;
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (!c || c->magic != EMU_MAGIC_CTX) return CUDA_ERROR_INVALID_CONTEXT;
    if (c->primary) {
        emu_error("cuCtxDestroy_v2 on a primary context: use cuDevicePrimaryCtxRelease");
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    emu_lock();
    emu_mem_release_ctx(c);
    c->refcount = 0;
    c->magic = EMU_MAGIC_DEAD; /* memory kept so that stale handles stay detectable */
    emu_unlock();
    emu_track("context", -1);
    for (int i = 0; i < t_depth; i++)
        if (t_stack[i] == c) t_stack[i] = NULL;
    while (t_depth && t_stack[t_depth - 1] == NULL) t_depth--;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSetCurrent(void *ctx) {
    EMU_ENTER_OR_FAIL("cuCtxSetCurrent");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    emu_ctx *c = ctx;
    if (c && !ctx_valid(c)) {
        emu_error("cuCtxSetCurrent with a released or invalid context");
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    set_current(c);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetCurrent(void **pctx) {
    EMU_ENTER_OR_FAIL("cuCtxGetCurrent");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    *pctx = emu_current_ctx();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxPushCurrent_v2(void *ctx) {
    EMU_ENTER_OR_FAIL("cuCtxPushCurrent_v2");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (!ctx_valid(ctx)) return CUDA_ERROR_INVALID_CONTEXT;
    if (t_depth == STACK_MAX) return CUDA_ERROR_INVALID_VALUE;
    t_stack[t_depth++] = ctx;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxPopCurrent_v2(void **pctx) {
    EMU_ENTER_OR_FAIL("cuCtxPopCurrent_v2");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (t_depth == 0) return CUDA_ERROR_INVALID_CONTEXT;
    emu_ctx *c = t_stack[--t_depth];
    t_stack[t_depth] = NULL;
    if (pctx) *pctx = c;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetDevice(CUdevice *dev) {
    EMU_ENTER_OR_FAIL("cuCtxGetDevice");
    CUresult r = emu_require_ctx("cuCtxGetDevice", NULL);
    if (r) return r;
    if (!dev) return CUDA_ERROR_INVALID_VALUE;
    *dev = 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetApiVersion(void *ctx, unsigned *version) {
    EMU_ENTER_OR_FAIL("cuCtxGetApiVersion");
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    emu_ctx *c = ctx ? ctx : emu_current_ctx();
    if (!ctx_valid(c)) return CUDA_ERROR_INVALID_CONTEXT;
    *version = 3020;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetFlags(unsigned *flags) {
    EMU_ENTER_OR_FAIL("cuCtxGetFlags");
    emu_ctx *c;
    CUresult r = emu_require_ctx("cuCtxGetFlags", &c);
    if (r) return r;
    if (!flags) return CUDA_ERROR_INVALID_VALUE;
    *flags = c->flags;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSynchronize(void) {
    EMU_ENTER_OR_FAIL("cuCtxSynchronize");
    CUresult r = emu_require_ctx("cuCtxSynchronize", NULL);
    if (r) return r;
    if ((r = emu_capture_forbids("cuCtxSynchronize"))) return r;
    /* Work ran when it was enqueued; a synchronisation point is where a real program would first
     * see an asynchronous fault, so the guard bytes are checked here. */
    if (emu_check_guards("cuCtxSynchronize")) {
        emu_ctx_set_sticky(emu_current_ctx(), CUDA_ERROR_ILLEGAL_ADDRESS);
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxSetLimit(int limit, size_t value) {
    EMU_ENTER_OR_FAIL("cuCtxSetLimit");
    CUresult r = emu_require_ctx("cuCtxSetLimit", NULL);
    if (r) return r;
    (void) value;
    return limit >= 0 && limit < 10 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EMU_EXPORT CUresult cuCtxGetLimit(size_t *value, int limit) {
    EMU_ENTER_OR_FAIL("cuCtxGetLimit");
    CUresult r = emu_require_ctx("cuCtxGetLimit", NULL);
    if (r) return r;
    if (!value || limit < 0 || limit >= 10) return CUDA_ERROR_INVALID_VALUE;
    *value = limit == 0 ? 1024 : 0;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuCtxGetStreamPriorityRange(int *least, int *greatest) {
    EMU_ENTER_OR_FAIL("cuCtxGetStreamPriorityRange");
    CUresult r = emu_require_ctx("cuCtxGetStreamPriorityRange", NULL);
    if (r) return r;
    if (least) *least = 0;
    if (greatest) *greatest = -5;
    return CUDA_SUCCESS;
}

/* cudart (inside cuDNN/cuBLAS) binds device 0's primary context to a thread that has none. */
EMU_EXPORT int emu_runtime_bind(void) {
    if (!emu_initialized()) cuInit(0);
    emu_ctx *c = emu_current_ctx();
    if (c) return ctx_valid(c) ? c->sticky : CUDA_ERROR_INVALID_CONTEXT;
    emu_lock();
    static int runtime_retained; /* cudart retains the primary context once per process */
    if (!runtime_retained) {
        runtime_retained = 1;
        if (g_primary.refcount++ == 0) activate(&g_primary);
    } else if (g_primary.refcount == 0) {
        emu_unlock();
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    emu_unlock();
    set_current(&g_primary);
    return CUDA_SUCCESS;
}
