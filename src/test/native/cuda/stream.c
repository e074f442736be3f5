/*
 * stream.c - streams, events, stream capture and CUDA graphs.
 *
 * Work runs synchronously when it is enqueued, so every stream is trivially "in order" and events
 * complete at once. What is emulated is the bookkeeping real programs get wrong: handle validity,
 * per-context streams, capture state and the calls a capture forbids, graph ownership, and event
 * timing (host clock between the two records, real milliseconds).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "emu_cuda.h"

#define HANDLE_LEGACY ((void *) 0x1)
#define HANDLE_PER_THREAD ((void *) 0x2)

/* Captures in progress, for the rules that depend on other streams or threads. */
#define MAX_CAPTURES 16
static emu_stream *g_capturing[MAX_CAPTURES];

emu_stream *emu_stream_new_null(emu_ctx *ctx) {
    emu_stream *s = calloc(1, sizeof *s);
    s->magic = EMU_MAGIC_STREAM;
    s->ctx = ctx;
    s->is_null = 1;
    return s;
}

CUresult emu_resolve_stream(void *h, emu_ctx *ctx, emu_stream **out) {
    if (h == NULL || h == HANDLE_LEGACY || h == HANDLE_PER_THREAD) {
        /* The per-thread default stream behaves like the legacy one here except for capture rules. */
        *out = ctx->null_stream;
        return CUDA_SUCCESS;
    }
    emu_stream *s = h;
    if (s->magic != EMU_MAGIC_STREAM) {
        emu_error("invalid or destroyed stream handle %p (CUDA_ERROR_INVALID_HANDLE)", h);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (s->ctx != ctx) {
        emu_error("stream %p belongs to another context than the current one", h);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    *out = s;
    return CUDA_SUCCESS;
}

EMU_EXPORT int emu_stream_check(void *h) {
    if (h == NULL || h == HANDLE_LEGACY || h == HANDLE_PER_THREAD) return CUDA_SUCCESS;
    return ((emu_stream *) h)->magic == EMU_MAGIC_STREAM ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

static void invalidate(emu_stream *s) {
    emu_stream *origin = s->capture_origin ? s->capture_origin : s;
    for (int i = 0; i < MAX_CAPTURES; i++)
        if (g_capturing[i] && (g_capturing[i] == origin || g_capturing[i]->capture_origin == origin))
            g_capturing[i]->capture_status = 2;
}

/* A capture in GLOBAL mode forbids unsafe calls from every thread, THREAD_LOCAL from its own thread,
 * RELAXED from none (CUDA programming guide, "Cross-stream dependencies and capture modes"). */
CUresult emu_capture_forbids(const char *call) {
    CUresult r = CUDA_SUCCESS;
    emu_lock();
    for (int i = 0; i < MAX_CAPTURES; i++) {
        emu_stream *s = g_capturing[i];
        if (!s || s->capture_status != 1) continue;
        if (s->capture_mode == 0 || (s->capture_mode == 1 && pthread_equal(s->capture_thread, pthread_self()))) {
            emu_error("%s while stream %p is being captured (mode %d): not permitted during capture "
                      "(CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED); the capture is invalidated", call, (void *) s,
                      s->capture_mode);
            invalidate(s);
            r = CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
        }
    }
    emu_unlock();
    return r;
}

CUresult emu_submit(emu_stream *s, const char *name, emu_work_fn fn, const void *payload, size_t size) {
    if (s->capture_status == 2) return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    if (s->capture_status == 1) return emu_graph_append(s->capture_graph, name, fn, payload, size);
    if (s->is_null) {
        /* The legacy stream synchronises with every blocking stream: using it while one of them is
         * captured would make it depend on captured work. */
        emu_lock();
        for (int i = 0; i < MAX_CAPTURES; i++) {
            emu_stream *c = g_capturing[i];
            if (c && c->capture_status == 1 && c->capture_mode != 2 && !(c->flags & 1)) {
                emu_error("%s on the legacy default stream while blocking stream %p is being captured "
                          "(CUDA_ERROR_STREAM_CAPTURE_IMPLICIT); the capture is invalidated", name, (void *) c);
                invalidate(c);
                emu_unlock();
                return CUDA_ERROR_STREAM_CAPTURE_IMPLICIT;
            }
        }
        emu_unlock();
    }
    CUresult r = emu_run_protected(name, fn, (void *) payload);
    return r;
}

EMU_EXPORT int emu_stream_submit(void *stream, const char *name, emu_work_fn fn, const void *payload,
                                 size_t payload_size) {
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(name, &ctx);
    if (r) return r;
    emu_stream *s;
    if ((r = emu_resolve_stream(stream, ctx, &s))) return r;
    return emu_submit(s, name, fn, payload, payload_size);
}

/* ---- streams ---------------------------------------------------------------------------------- */

/* Every stream and event ever created, so that destroying a context destroys its own. */
typedef struct owned { void *obj; emu_ctx *ctx; int is_event; struct owned *next; } owned;
static owned *g_owned;

static void remember(void *obj, emu_ctx *ctx, int is_event) {
    owned *o = malloc(sizeof *o);
    o->obj = obj; o->ctx = ctx; o->is_event = is_event;
    emu_lock();
    o->next = g_owned;
    g_owned = o;
    emu_unlock();
}

void emu_stream_release_ctx(emu_ctx *c) {
    emu_lock();
    for (owned *o = g_owned; o; o = o->next) {
        if (o->ctx != c) continue;
        uint32_t *magic = o->obj;
        if (*magic != EMU_MAGIC_STREAM && *magic != EMU_MAGIC_EVENT) continue;
        emu_track(*magic == EMU_MAGIC_STREAM ? "stream" : "event", -1);
        *magic = EMU_MAGIC_DEAD;
    }
    emu_unlock();
}

static CUresult stream_create(const char *name, void **ph, unsigned flags) {
    int f = emu_enter(name);
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(name, &ctx);
    if (r) return r;
    if (!ph || (flags & ~1u)) return CUDA_ERROR_INVALID_VALUE;
    emu_stream *s = calloc(1, sizeof *s);
    s->magic = EMU_MAGIC_STREAM;
    s->ctx = ctx;
    s->flags = flags;
    emu_track("stream", 1);
    remember(s, ctx, 0);
    *ph = s;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamCreate(void **ph, unsigned flags) { return stream_create("cuStreamCreate", ph, flags); }
EMU_EXPORT CUresult cuStreamCreateWithPriority(void **ph, unsigned flags, int priority) {
    (void) priority;
    return stream_create("cuStreamCreateWithPriority", ph, flags);
}

static CUresult stream_arg(const char *name, void *h, emu_stream **s) {
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(name, &ctx);
    if (r) return r;
    return emu_resolve_stream(h, ctx, s);
}

EMU_EXPORT CUresult cuStreamDestroy_v2(void *h) {
    EMU_ENTER_OR_FAIL("cuStreamDestroy_v2");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamDestroy_v2", h, &s);
    if (r) return r;
    if (s->is_null) return CUDA_ERROR_INVALID_HANDLE;
    if (s->capture_status) {
        emu_error("cuStreamDestroy_v2 on stream %p while it is being captured", h);
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    s->magic = EMU_MAGIC_DEAD; /* kept allocated: a later use is reported as an invalid handle */
    emu_track("stream", -1);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamSynchronize(void *h) {
    EMU_ENTER_OR_FAIL("cuStreamSynchronize");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamSynchronize", h, &s);
    if (r) return r;
    if (s->capture_status) {
        emu_error("cuStreamSynchronize on stream %p while it is being captured", h);
        invalidate(s);
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if ((r = emu_capture_forbids("cuStreamSynchronize"))) return r;
    if (emu_check_guards("cuStreamSynchronize")) {
        emu_ctx_set_sticky(s->ctx, CUDA_ERROR_ILLEGAL_ADDRESS);
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamQuery(void *h) {
    EMU_ENTER_OR_FAIL("cuStreamQuery");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamQuery", h, &s);
    if (r) return r;
    if (s->capture_status) {
        invalidate(s);
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamGetFlags(void *h, unsigned *flags) {
    EMU_ENTER_OR_FAIL("cuStreamGetFlags");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamGetFlags", h, &s);
    if (r) return r;
    if (!flags) return CUDA_ERROR_INVALID_VALUE;
    *flags = s->flags;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamGetCtx(void *h, void **pctx) {
    EMU_ENTER_OR_FAIL("cuStreamGetCtx");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamGetCtx", h, &s);
    if (r) return r;
    if (!pctx) return CUDA_ERROR_INVALID_VALUE;
    *pctx = s->ctx;
    return CUDA_SUCCESS;
}

/* ---- events ----------------------------------------------------------------------------------- */

typedef struct emu_event {
    uint32_t magic;
    unsigned flags;
    int recorded;
    double ms;               /* host clock at the record, in ms */
    emu_graph *captured_in;  /* set while the last record was captured */
} emu_event;

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static CUresult event_arg(void *h, emu_event **e) {
    emu_event *ev = h;
    if (!ev || ev->magic != EMU_MAGIC_EVENT) {
        emu_error("invalid or destroyed event handle %p (CUDA_ERROR_INVALID_HANDLE)", h);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    *e = ev;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventCreate(void **ph, unsigned flags) {
    int f = emu_enter("cuEventCreate");
    if (f) return f;
    CUresult r = emu_require_ctx("cuEventCreate", NULL);
    if (r) return r;
    if (!ph || (flags & ~7u)) return CUDA_ERROR_INVALID_VALUE; /* BLOCKING_SYNC | DISABLE_TIMING | INTERPROCESS */
    if ((flags & 4) && !(flags & 2)) return CUDA_ERROR_INVALID_VALUE; /* interprocess requires disable-timing */
    emu_event *e = calloc(1, sizeof *e);
    e->magic = EMU_MAGIC_EVENT;
    e->flags = flags;
    emu_track("event", 1);
    remember(e, emu_current_ctx(), 1);
    *ph = e;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventDestroy_v2(void *h) {
    EMU_ENTER_OR_FAIL("cuEventDestroy_v2");
    CUresult r = emu_require_ctx("cuEventDestroy_v2", NULL);
    if (r) return r;
    emu_event *e;
    if ((r = event_arg(h, &e))) return r;
    e->magic = EMU_MAGIC_DEAD;
    emu_track("event", -1);
    return CUDA_SUCCESS;
}

typedef struct { emu_event *e; } record_work;

static int run_record(void *payload) {
    record_work *w = payload;
    if (w->e->magic != EMU_MAGIC_EVENT) {
        emu_error("a graph records event %p that was destroyed", (void *) w->e);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    w->e->recorded = 1;
    w->e->ms = now_ms();
    w->e->captured_in = NULL;
    return CUDA_SUCCESS;
}

static CUresult event_record(const char *name, void *h, void *stream) {
    int f = emu_enter(name);
    if (f) return f;
    emu_stream *s;
    CUresult r = stream_arg(name, stream, &s);
    if (r) return r;
    emu_event *e;
    if ((r = event_arg(h, &e))) return r;
    record_work w = {e};
    r = emu_submit(s, name, run_record, &w, sizeof w);
    if (r == CUDA_SUCCESS && s->capture_status == 1) e->captured_in = s->capture_graph;
    return r;
}

EMU_EXPORT CUresult cuEventRecord(void *h, void *stream) { return event_record("cuEventRecord", h, stream); }
EMU_EXPORT CUresult cuEventRecordWithFlags(void *h, void *stream, unsigned flags) {
    (void) flags;
    return event_record("cuEventRecordWithFlags", h, stream);
}

EMU_EXPORT CUresult cuEventQuery(void *h) {
    EMU_ENTER_OR_FAIL("cuEventQuery");
    CUresult r = emu_require_ctx("cuEventQuery", NULL);
    if (r) return r;
    emu_event *e;
    if ((r = event_arg(h, &e))) return r;
    return e->captured_in ? CUDA_ERROR_CAPTURED_EVENT : CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventSynchronize(void *h) {
    EMU_ENTER_OR_FAIL("cuEventSynchronize");
    CUresult r = emu_require_ctx("cuEventSynchronize", NULL);
    if (r) return r;
    emu_event *e;
    if ((r = event_arg(h, &e))) return r;
    if (e->captured_in) return CUDA_ERROR_CAPTURED_EVENT;
    if ((r = emu_capture_forbids("cuEventSynchronize"))) return r;
    return CUDA_SUCCESS;
}

static CUresult elapsed(const char *name, float *ms, void *start, void *end) {
    EMU_ENTER_OR_FAIL(name);
    CUresult r = emu_require_ctx(name, NULL);
    if (r) return r;
    if (!ms) return CUDA_ERROR_INVALID_VALUE;
    emu_event *a, *b;
    if ((r = event_arg(start, &a)) || (r = event_arg(end, &b))) return r;
    if ((a->flags | b->flags) & 2) {
        emu_error("%s on an event created with CU_EVENT_DISABLE_TIMING", name);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (!a->recorded || !b->recorded) {
        emu_error("%s: an event was never recorded", name);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (a->captured_in || b->captured_in) return CUDA_ERROR_CAPTURED_EVENT;
    *ms = (float) (b->ms - a->ms);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuEventElapsedTime(float *ms, void *start, void *end) { return elapsed("cuEventElapsedTime", ms, start, end); }
EMU_EXPORT CUresult cuEventElapsedTime_v2(float *ms, void *start, void *end) { return elapsed("cuEventElapsedTime_v2", ms, start, end); }

EMU_EXPORT CUresult cuStreamWaitEvent(void *stream, void *h, unsigned flags) {
    EMU_ENTER_OR_FAIL("cuStreamWaitEvent");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamWaitEvent", stream, &s);
    if (r) return r;
    emu_event *e;
    if ((r = event_arg(h, &e))) return r;
    if (flags & ~1u) return CUDA_ERROR_INVALID_VALUE;
    /* Waiting on an event recorded inside a capture pulls the waiting stream into that capture
     * (fork); since nodes run in recording order, the graph stays a serial list. */
    if (e->captured_in && !s->capture_status) {
        emu_lock();
        for (int i = 0; i < MAX_CAPTURES; i++) {
            emu_stream *o = g_capturing[i];
            if (o && o->capture_graph == e->captured_in && !o->capture_origin) {
                s->capture_status = 1;
                s->capture_mode = o->capture_mode;
                s->capture_graph = o->capture_graph;
                s->capture_origin = o;
                s->capture_thread = o->capture_thread;
                for (int j = 0; j < MAX_CAPTURES; j++)
                    if (!g_capturing[j]) { g_capturing[j] = s; break; }
                break;
            }
        }
        emu_unlock();
    }
    return CUDA_SUCCESS;
}

/* ---- capture ---------------------------------------------------------------------------------- */

EMU_EXPORT CUresult cuStreamBeginCapture_v2(void *stream, int mode) {
    int f = emu_enter("cuStreamBeginCapture_v2");
    if (f) return f;
    emu_stream *s;
    CUresult r = stream_arg("cuStreamBeginCapture_v2", stream, &s);
    if (r) return r;
    if (mode < 0 || mode > 2) return CUDA_ERROR_INVALID_VALUE;
    if (s->is_null) {
        emu_error("cuStreamBeginCapture_v2 on the legacy default stream is not permitted");
        return CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED;
    }
    if (s->capture_status) return CUDA_ERROR_ILLEGAL_STATE;
    emu_lock();
    int slot = -1;
    for (int i = 0; i < MAX_CAPTURES; i++)
        if (!g_capturing[i]) { slot = i; break; }
    if (slot < 0) {
        emu_unlock();
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    s->capture_status = 1;
    s->capture_mode = mode;
    s->capture_thread = pthread_self();
    s->capture_graph = emu_graph_new();
    s->capture_origin = NULL;
    g_capturing[slot] = s;
    emu_unlock();
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamBeginCapture(void *stream, int mode) { return cuStreamBeginCapture_v2(stream, mode); }

static void end_capture_all(emu_stream *origin) {
    for (int i = 0; i < MAX_CAPTURES; i++) {
        emu_stream *c = g_capturing[i];
        if (c && (c == origin || c->capture_origin == origin)) {
            c->capture_status = 0;
            c->capture_graph = NULL;
            c->capture_origin = NULL;
            g_capturing[i] = NULL;
        }
    }
}

EMU_EXPORT CUresult cuStreamEndCapture(void *stream, void **pgraph) {
    EMU_ENTER_OR_FAIL("cuStreamEndCapture");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamEndCapture", stream, &s);
    if (r) return r;
    if (!pgraph) return CUDA_ERROR_INVALID_VALUE;
    if (!s->capture_status) {
        emu_error("cuStreamEndCapture on stream %p that is not capturing", stream);
        return CUDA_ERROR_ILLEGAL_STATE;
    }
    if (s->capture_origin) {
        emu_error("cuStreamEndCapture on stream %p that joined a capture begun on stream %p", stream,
                  (void *) s->capture_origin);
        return CUDA_ERROR_STREAM_CAPTURE_UNMATCHED;
    }
    if (s->capture_mode != 2 && !pthread_equal(s->capture_thread, pthread_self())) {
        emu_error("cuStreamEndCapture from another thread than the one that began the capture");
        return CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD;
    }
    emu_lock();
    emu_graph *g = s->capture_graph;
    int invalid = s->capture_status == 2;
    end_capture_all(s);
    emu_unlock();
    if (invalid) {
        emu_graph_free(g);
        *pgraph = NULL;
        return CUDA_ERROR_STREAM_CAPTURE_INVALIDATED;
    }
    emu_track("graph", 1);
    *pgraph = g;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuStreamIsCapturing(void *stream, int *status) {
    EMU_ENTER_OR_FAIL("cuStreamIsCapturing");
    emu_stream *s;
    CUresult r = stream_arg("cuStreamIsCapturing", stream, &s);
    if (r) return r;
    if (!status) return CUDA_ERROR_INVALID_VALUE;
    *status = s->capture_status;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuThreadExchangeStreamCaptureMode(int *mode) {
    EMU_ENTER_OR_FAIL("cuThreadExchangeStreamCaptureMode");
    if (!mode || *mode < 0 || *mode > 2) return CUDA_ERROR_INVALID_VALUE;
    static __thread int t_mode;
    int old = t_mode;
    t_mode = *mode;
    *mode = old;
    return CUDA_SUCCESS;
}
