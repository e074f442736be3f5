/*
 * memory.c - device and pinned-host memory, the allocation registry, copies and memsets.
 *
 * Every allocation is its own mmap: [guard page][data pages][guard page], with the user region placed
 * at the END of the data pages (start aligned to 256 bytes like cuMemAlloc) so that reading or writing
 * past the end touches the guard page almost at once. The bytes between the end of the request and
 * the next 256-byte boundary hold a known pattern that is checked after every kernel, at
 * synchronisation points and at free. Fresh memory is filled with 0xFF bytes (a float NaN), so
 * reading memory that was never written shows up as NaN instead of plausible zeros.
 *
 * Freed regions are not unmapped at once but made inaccessible and kept (a quarantine), so a stale
 * pointer can be recognised as "use after free" and a kernel touching it faults.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "emu_cuda.h"

#define GUARD_BYTE 0xFD
#define FRESH_BYTE 0xFF
#define QUARANTINE_MAX 4096

static emu_alloc **g_live;
static int g_nlive, g_caplive;
static emu_alloc *g_quarantine[QUARANTINE_MAX];
static int g_qhead, g_qcount;
static long g_serial;
static long long g_device_bytes;

static size_t page_size(void) {
    static size_t p;
    if (!p) p = (size_t) sysconf(_SC_PAGESIZE);
    return p;
}

static const char *kind_name(int kind) { return kind == EMU_MEM_HOST ? "pinned host" : "device"; }

EMU_EXPORT int emu_live_allocations(void) {
    emu_lock();
    int n = g_nlive;
    emu_unlock();
    return n;
}

EMU_EXPORT long long emu_live_bytes(void) {
    long long b = 0;
    emu_lock();
    for (int i = 0; i < g_nlive; i++) b += (long long) g_live[i]->size;
    emu_unlock();
    return b;
}

emu_alloc *emu_find_live(uintptr_t p) {
    for (int i = 0; i < g_nlive; i++) {
        emu_alloc *a = g_live[i];
        if (p >= a->user && p < a->user + a->size) return a;
    }
    return NULL;
}

/* Also matches the guard gap and guard pages around an allocation (for fault messages). */
static emu_alloc *find_near(emu_alloc **tab, int n, uintptr_t p) {
    for (int i = 0; i < n; i++) {
        emu_alloc *a = tab[i];
        if (!a) continue;
        uintptr_t lo = (uintptr_t) a->map_base, hi = lo + a->map_len;
        if (p >= lo && p < hi) return a;
    }
    return NULL;
}

void emu_describe_address(uintptr_t p, char *buf, size_t cap) {
    emu_lock();
    emu_alloc *a = find_near(g_live, g_nlive, p);
    if (a) {
        if (p >= a->user + a->size)
            snprintf(buf, cap, "0x%lx is %lu byte(s) past the end of %s allocation #%ld (%zu bytes at 0x%lx)",
                     (unsigned long) p, (unsigned long) (p - a->user - a->size), kind_name(a->kind), a->serial,
                     a->size, (unsigned long) a->user);
        else if (p < a->user)
            snprintf(buf, cap, "0x%lx is %lu byte(s) before the start of %s allocation #%ld (%zu bytes)",
                     (unsigned long) p, (unsigned long) (a->user - p), kind_name(a->kind), a->serial, a->size);
        else
            snprintf(buf, cap, "0x%lx is inside %s allocation #%ld at offset %lu", (unsigned long) p,
                     kind_name(a->kind), a->serial, (unsigned long) (p - a->user));
        emu_unlock();
        return;
    }
    a = find_near(g_quarantine, QUARANTINE_MAX, p);
    if (a)
        snprintf(buf, cap, "0x%lx is in %s allocation #%ld (%zu bytes, made by %s) which was already FREED "
                 "(use after free)", (unsigned long) p, kind_name(a->kind), a->serial, a->size, a->origin);
    else
        snprintf(buf, cap, "0x%lx is not in any allocation the emulator handed out", (unsigned long) p);
    emu_unlock();
}

static int guard_ok(const emu_alloc *a) {
    const unsigned char *g = (const unsigned char *) (a->user + a->size);
    for (size_t i = 0; i < a->span - a->size; i++)
        if (g[i] != GUARD_BYTE) return 0;
    /* The head gap (data page start .. user) is checked too: it catches small underruns. */
    const unsigned char *h = (const unsigned char *) a->map_base + page_size();
    for (const unsigned char *q = h; q < (const unsigned char *) a->user; q++)
        if (*q != GUARD_BYTE) return 0;
    return 1;
}

int emu_check_guards(const char *after) {
    int bad = 0;
    emu_lock();
    for (int i = 0; i < g_nlive; i++) {
        emu_alloc *a = g_live[i];
        if (guard_ok(a)) continue;
        bad++;
        emu_error("guard bytes around %s allocation #%ld (%zu bytes at 0x%lx) were overwritten; "
                  "detected after %s (out-of-bounds write)", kind_name(a->kind), a->serial, a->size,
                  (unsigned long) a->user, after);
        /* Repair so that one overrun is reported once. */
        memset((void *) (a->user + a->size), GUARD_BYTE, a->span - a->size);
        unsigned char *h = (unsigned char *) a->map_base + page_size();
        memset(h, GUARD_BYTE, (size_t) ((unsigned char *) a->user - h));
    }
    emu_unlock();
    return bad;
}

CUresult emu_mem_alloc(size_t bytes, int kind, const char *origin, uintptr_t *out) {
    if (bytes == 0) return CUDA_ERROR_INVALID_VALUE; /* cuMemAlloc: "bytesize must be > 0" */
    emu_lock();
    if (kind == EMU_MEM_DEVICE && g_device_bytes + (long long) bytes > emu_memory_limit()) {
        emu_unlock();
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    size_t ps = page_size();
    size_t span = (bytes + 255) & ~(size_t) 255;
    size_t data = (span + ps - 1) / ps * ps;
    size_t len = data + 2 * ps;
    unsigned char *base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) {
        emu_unlock();
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    mprotect(base + ps, data, PROT_READ | PROT_WRITE);
    emu_alloc *a = calloc(1, sizeof *a);
    a->map_base = base;
    a->map_len = len;
    a->user = (uintptr_t) (base + ps + data - span);
    a->size = bytes;
    a->span = span;
    a->kind = kind;
    a->serial = ++g_serial;
    a->origin = origin;
    a->ctx = emu_current_ctx();
    a->ctx_gen = a->ctx ? a->ctx->generation : 0;
    memset(base + ps, GUARD_BYTE, data - span);
    memset((void *) a->user, FRESH_BYTE, bytes);
    memset((void *) (a->user + bytes), GUARD_BYTE, span - bytes);
    if (g_nlive == g_caplive) {
        g_caplive = g_caplive ? 2 * g_caplive : 256;
        g_live = realloc(g_live, (size_t) g_caplive * sizeof *g_live);
    }
    g_live[g_nlive++] = a;
    if (kind == EMU_MEM_DEVICE) g_device_bytes += (long long) bytes;
    emu_unlock();
    emu_track(kind == EMU_MEM_HOST ? "hostAllocation" : "deviceAllocation", 1);
    emu_log("%s #%ld: %zu bytes at 0x%lx", origin, a->serial, bytes, (unsigned long) a->user);
    *out = a->user;
    return CUDA_SUCCESS;
}

static void quarantine(emu_alloc *a) {
    mprotect(a->map_base, a->map_len, PROT_NONE);
    madvise(a->map_base, a->map_len, MADV_DONTNEED);
    int slot = (g_qhead + g_qcount) % QUARANTINE_MAX;
    if (g_qcount == QUARANTINE_MAX) { /* oldest one leaves for good */
        emu_alloc *old = g_quarantine[g_qhead];
        munmap(old->map_base, old->map_len);
        free(old);
        g_qhead = (g_qhead + 1) % QUARANTINE_MAX;
        g_qcount--;
        slot = (g_qhead + g_qcount) % QUARANTINE_MAX;
    }
    g_quarantine[slot] = a;
    g_qcount++;
}

CUresult emu_mem_free(uintptr_t p, int kind, const char *origin) {
    char where[256];
    emu_lock();
    for (int i = 0; i < g_nlive; i++) {
        emu_alloc *a = g_live[i];
        if (a->user != p) continue;
        if (a->kind != kind) {
            emu_unlock();
            emu_error("%s(0x%lx): that is %s memory (allocation #%ld), not %s memory", origin,
                      (unsigned long) p, kind_name(a->kind), a->serial, kind_name(kind));
            return CUDA_ERROR_INVALID_VALUE;
        }
        if (!guard_ok(a))
            emu_error("guard bytes of %s allocation #%ld were overwritten (out-of-bounds write), detected at %s",
                      kind_name(a->kind), a->serial, origin);
        g_live[i] = g_live[--g_nlive];
        if (kind == EMU_MEM_DEVICE) g_device_bytes -= (long long) a->size;
        a->freed = 1;
        quarantine(a);
        emu_unlock();
        emu_track(kind == EMU_MEM_HOST ? "hostAllocation" : "deviceAllocation", -1);
        return CUDA_SUCCESS;
    }
    emu_unlock();
    emu_describe_address(p, where, sizeof where);
    if (strstr(where, "FREED") && !strstr(where, "offset"))
        emu_error("%s: double free: %s", origin, where);
    else
        emu_error("%s: not the start of a live allocation: %s", origin, where);
    return CUDA_ERROR_INVALID_VALUE;
}

/* Finds the allocation for a range check; reports and returns an error code when it fails. */
static int check_range(uintptr_t p, size_t bytes, int kinds, const char *call, const char *what) {
    char where[256];
    emu_lock();
    emu_alloc *a = emu_find_live(p);
    if (a && (a->kind & kinds) && (bytes == 0 || (bytes <= a->size && p - a->user <= a->size - bytes))) {
        emu_ctx *c = a->ctx;
        int stale = c && a->kind == EMU_MEM_DEVICE && !emu_ctx_alive(c, a->ctx_gen);
        long serial = a->serial;
        emu_unlock();
        if (stale) {
            emu_error("%s: %s 0x%lx belongs to allocation #%ld whose context was released or reset",
                      call, what, (unsigned long) p, serial);
            return -1;
        }
        return 0;
    }
    emu_unlock();
    if (a && !(a->kind & kinds)) {
        emu_error("%s: %s 0x%lx is %s memory (allocation #%ld) where %s memory is required", call, what,
                  (unsigned long) p, kind_name(a->kind), a->serial, kinds & EMU_MEM_DEVICE ? "device" : "host");
        return -1;
    }
    if (a) {
        emu_error("%s: %s [0x%lx, +%zu) runs past the end of allocation #%ld (%zu bytes at 0x%lx) by %zu byte(s)",
                  call, what, (unsigned long) p, bytes, a->serial, a->size, (unsigned long) a->user,
                  (size_t) (p + bytes - a->user - a->size));
        return -1;
    }
    emu_describe_address(p, where, sizeof where);
    emu_error("%s: %s: %s", call, what, where);
    return -1;
}

CUresult emu_validate_range(uintptr_t p, size_t bytes, int kinds, const char *call, const char *what) {
    return check_range(p, bytes, kinds, call, what) ? CUDA_ERROR_INVALID_VALUE : CUDA_SUCCESS;
}

EMU_EXPORT int emu_check_range(const void *p, size_t bytes, int kinds, const char *what) {
    return check_range((uintptr_t) p, bytes, kinds, "device access", what);
}

CUresult emu_validate_host(const void *p, size_t bytes, const char *call, const char *what) {
    if (!p) {
        emu_error("%s: %s is NULL", call, what);
        return CUDA_ERROR_INVALID_VALUE;
    }
    emu_lock();
    emu_alloc *a = emu_find_live((uintptr_t) p);
    int kind = a ? a->kind : 0;
    emu_unlock();
    if (kind == EMU_MEM_DEVICE) {
        emu_error("%s: %s 0x%lx is device memory, a host pointer is required", call, what, (unsigned long) p);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (kind == EMU_MEM_HOST) return emu_validate_range((uintptr_t) p, bytes, EMU_MEM_HOST, call, what);
    char where[256];
    emu_describe_address((uintptr_t) p, where, sizeof where);
    if (strstr(where, "FREED")) {
        emu_error("%s: %s: %s", call, what, where);
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS; /* ordinary pageable host memory: nothing to check */
}

/* ---- allocation entry points ------------------------------------------------------------------ */

static CUresult alloc_entry(const char *name, CUdeviceptr *dptr, size_t bytes, int kind) {
    int f = emu_enter(name);
    if (f) return f;
    CUresult r = emu_require_ctx(name, NULL);
    if (r) return r;
    if (!dptr) return CUDA_ERROR_INVALID_VALUE;
    if ((r = emu_capture_forbids(name))) return r;
    uintptr_t p;
    r = emu_mem_alloc(bytes, kind, name, &p);
    if (r == CUDA_SUCCESS) *dptr = p;
    return r;
}

EMU_EXPORT CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t bytes) {
    return alloc_entry("cuMemAlloc_v2", dptr, bytes, EMU_MEM_DEVICE);
}

EMU_EXPORT CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch, size_t width, size_t height, unsigned elem) {
    if (!pitch || (elem != 4 && elem != 8 && elem != 16)) return CUDA_ERROR_INVALID_VALUE;
    size_t p = (width + 511) & ~(size_t) 511;
    CUresult r = alloc_entry("cuMemAllocPitch_v2", dptr, p * height, EMU_MEM_DEVICE);
    if (r == CUDA_SUCCESS) *pitch = p;
    return r;
}

EMU_EXPORT CUresult cuMemFree_v2(CUdeviceptr dptr) {
    int f = emu_enter("cuMemFree_v2");
    if (f) return f;
    CUresult r = emu_require_ctx("cuMemFree_v2", NULL);
    if (r) return r;
    if (dptr == 0) return CUDA_SUCCESS; /* freeing NULL is a no-op */
    if ((r = emu_capture_forbids("cuMemFree_v2"))) return r;
    return emu_mem_free((uintptr_t) dptr, EMU_MEM_DEVICE, "cuMemFree_v2");
}

EMU_EXPORT CUresult cuMemAllocHost_v2(void **pp, size_t bytes) {
    return alloc_entry("cuMemAllocHost_v2", (CUdeviceptr *) pp, bytes, EMU_MEM_HOST);
}

EMU_EXPORT CUresult cuMemHostAlloc(void **pp, size_t bytes, unsigned flags) {
    if (flags & ~7u) return CUDA_ERROR_INVALID_VALUE; /* PORTABLE | DEVICEMAP | WRITECOMBINED */
    return alloc_entry("cuMemHostAlloc", (CUdeviceptr *) pp, bytes, EMU_MEM_HOST);
}

EMU_EXPORT CUresult cuMemFreeHost(void *p) {
    int f = emu_enter("cuMemFreeHost");
    if (f) return f;
    CUresult r = emu_require_ctx("cuMemFreeHost", NULL);
    if (r) return r;
    if (!p) return CUDA_SUCCESS;
    return emu_mem_free((uintptr_t) p, EMU_MEM_HOST, "cuMemFreeHost");
}

EMU_EXPORT CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *pdptr, void *p, unsigned flags) {
    EMU_ENTER_OR_FAIL("cuMemHostGetDevicePointer_v2");
    CUresult r = emu_require_ctx("cuMemHostGetDevicePointer_v2", NULL);
    if (r) return r;
    if (!pdptr || flags != 0) return CUDA_ERROR_INVALID_VALUE;
    if ((r = emu_validate_range((uintptr_t) p, 0, EMU_MEM_HOST, "cuMemHostGetDevicePointer_v2", "host pointer")))
        return r;
    *pdptr = (CUdeviceptr) (uintptr_t) p; /* unified addressing: the same address */
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuMemGetInfo_v2(size_t *free_bytes, size_t *total) {
    EMU_ENTER_OR_FAIL("cuMemGetInfo_v2");
    CUresult r = emu_require_ctx("cuMemGetInfo_v2", NULL);
    if (r) return r;
    if (!free_bytes || !total) return CUDA_ERROR_INVALID_VALUE;
    emu_lock();
    long long lim = emu_memory_limit();
    *free_bytes = (size_t) (lim > g_device_bytes ? lim - g_device_bytes : 0);
    emu_unlock();
    *total = (size_t) EMU_TOTAL_MEM;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuMemGetAddressRange_v2(CUdeviceptr *base, size_t *size, CUdeviceptr p) {
    EMU_ENTER_OR_FAIL("cuMemGetAddressRange_v2");
    CUresult r = emu_require_ctx("cuMemGetAddressRange_v2", NULL);
    if (r) return r;
    emu_lock();
    emu_alloc *a = emu_find_live((uintptr_t) p);
    if (a && base) *base = a->user;
    if (a && size) *size = a->size;
    emu_unlock();
    return a ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
}

EMU_EXPORT CUresult cuPointerGetAttribute(void *data, int attribute, CUdeviceptr p) {
    EMU_ENTER_OR_FAIL("cuPointerGetAttribute");
    if (!data) return CUDA_ERROR_INVALID_VALUE;
    emu_lock();
    emu_alloc *a = emu_find_live((uintptr_t) p);
    int kind = a ? a->kind : 0;
    void *ctx = a ? (void *) a->ctx : NULL;
    emu_unlock();
    if (!a) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute) {
    case 1: *(void **) data = ctx; return CUDA_SUCCESS;                                 /* CONTEXT */
    case 2: *(unsigned *) data = kind == EMU_MEM_HOST ? 1 : 2; return CUDA_SUCCESS;     /* MEMORY_TYPE */
    case 3: *(CUdeviceptr *) data = p; return CUDA_SUCCESS;                            /* DEVICE_POINTER */
    case 4: *(void **) data = kind == EMU_MEM_HOST ? (void *) (uintptr_t) p : NULL; return CUDA_SUCCESS; /* HOST_POINTER */
    default: return CUDA_ERROR_INVALID_VALUE;
    }
}

/* ---- copies and memsets: stream-ordered work items -------------------------------------------- */

enum { SIDE_HOST = 0, SIDE_DEVICE = 1, SIDE_ANY = 2 };

typedef struct {
    uintptr_t dst, src;
    size_t bytes;
    int dst_side, src_side;
    const char *call;
} copy_work;

static CUresult check_side(uintptr_t p, size_t n, int side, const char *call, const char *what) {
    if (side == SIDE_DEVICE) return emu_validate_range(p, n, EMU_MEM_DEVICE | EMU_MEM_HOST, call, what);
    if (side == SIDE_HOST) return emu_validate_host((const void *) p, n, call, what);
    /* cuMemcpy infers the side from the address (unified addressing). */
    emu_lock();
    emu_alloc *a = emu_find_live(p);
    emu_unlock();
    return a ? emu_validate_range(p, n, EMU_MEM_DEVICE | EMU_MEM_HOST, call, what)
             : emu_validate_host((const void *) p, n, call, what);
}

static int run_copy(void *payload) {
    copy_work *w = payload;
    CUresult r;
    if ((r = check_side(w->dst, w->bytes, w->dst_side, w->call, "destination"))) return r;
    if ((r = check_side(w->src, w->bytes, w->src_side, w->call, "source"))) return r;
    memmove((void *) w->dst, (const void *) w->src, w->bytes);
    return CUDA_SUCCESS;
}

static CUresult copy_entry(const char *call, uintptr_t dst, int dst_side, uintptr_t src, int src_side,
                           size_t bytes, void *stream, int async) {
    int f = emu_enter(call);
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(call, &ctx);
    if (r) return r;
    if (bytes == 0) return CUDA_SUCCESS;
    copy_work w = {dst, src, bytes, dst_side, src_side, call};
    /* Arguments are validated at the call, as the driver does, and again when the copy runs
     * (a captured copy may run after its memory was freed). */
    if ((r = check_side(dst, bytes, dst_side, call, "destination"))) return r;
    if ((r = check_side(src, bytes, src_side, call, "source"))) return r;
    emu_stream *s;
    if ((r = emu_resolve_stream(async ? stream : NULL, ctx, &s))) return r;
    return emu_submit(s, call, run_copy, &w, sizeof w);
}

EMU_EXPORT CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n) {
    return copy_entry("cuMemcpyHtoD_v2", dst, SIDE_DEVICE, (uintptr_t) src, SIDE_HOST, n, NULL, 0);
}
EMU_EXPORT CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n) {
    return copy_entry("cuMemcpyDtoH_v2", (uintptr_t) dst, SIDE_HOST, src, SIDE_DEVICE, n, NULL, 0);
}
EMU_EXPORT CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    return copy_entry("cuMemcpyDtoD_v2", dst, SIDE_DEVICE, src, SIDE_DEVICE, n, NULL, 0);
}
EMU_EXPORT CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n) {
    return copy_entry("cuMemcpy", dst, SIDE_ANY, src, SIDE_ANY, n, NULL, 0);
}
EMU_EXPORT CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t n, void *stream) {
    return copy_entry("cuMemcpyHtoDAsync_v2", dst, SIDE_DEVICE, (uintptr_t) src, SIDE_HOST, n, stream, 1);
}
EMU_EXPORT CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n, void *stream) {
    return copy_entry("cuMemcpyDtoHAsync_v2", (uintptr_t) dst, SIDE_HOST, src, SIDE_DEVICE, n, stream, 1);
}
EMU_EXPORT CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t n, void *stream) {
    return copy_entry("cuMemcpyDtoDAsync_v2", dst, SIDE_DEVICE, src, SIDE_DEVICE, n, stream, 1);
}
EMU_EXPORT CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n, void *stream) {
    return copy_entry("cuMemcpyAsync", dst, SIDE_ANY, src, SIDE_ANY, n, stream, 1);
}

typedef struct {
    uintptr_t dst;
    size_t count;
    unsigned value;
    int width; /* 1, 2 or 4 bytes per element */
    const char *call;
} set_work;

static int run_set(void *payload) {
    set_work *w = payload;
    CUresult r = emu_validate_range(w->dst, w->count * (size_t) w->width, EMU_MEM_DEVICE | EMU_MEM_HOST,
                                    w->call, "destination");
    if (r) return r;
    if (w->width == 1) memset((void *) w->dst, (int) (w->value & 0xff), w->count);
    else if (w->width == 2) for (size_t i = 0; i < w->count; i++) ((uint16_t *) w->dst)[i] = (uint16_t) w->value;
    else for (size_t i = 0; i < w->count; i++) ((uint32_t *) w->dst)[i] = w->value;
    return CUDA_SUCCESS;
}

static CUresult set_entry(const char *call, CUdeviceptr dst, unsigned value, size_t count, int width,
                          void *stream, int async) {
    int f = emu_enter(call);
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(call, &ctx);
    if (r) return r;
    if (count == 0) return CUDA_SUCCESS;
    if (dst % (uintptr_t) width) { /* D16/D32 need aligned destinations */
        emu_error("%s: destination 0x%lx is not %d-byte aligned", call, (unsigned long) dst, width);
        return CUDA_ERROR_INVALID_VALUE;
    }
    set_work w = {dst, count, value, width, call};
    if ((r = emu_validate_range(dst, count * (size_t) width, EMU_MEM_DEVICE | EMU_MEM_HOST, call, "destination")))
        return r;
    emu_stream *s;
    if ((r = emu_resolve_stream(async ? stream : NULL, ctx, &s))) return r;
    return emu_submit(s, call, run_set, &w, sizeof w);
}

EMU_EXPORT CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n) { return set_entry("cuMemsetD8_v2", d, v, n, 1, NULL, 0); }
EMU_EXPORT CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n) { return set_entry("cuMemsetD16_v2", d, v, n, 2, NULL, 0); }
EMU_EXPORT CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n) { return set_entry("cuMemsetD32_v2", d, v, n, 4, NULL, 0); }
EMU_EXPORT CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n, void *s) { return set_entry("cuMemsetD8Async", d, v, n, 1, s, 1); }
EMU_EXPORT CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n, void *s) { return set_entry("cuMemsetD16Async", d, v, n, 2, s, 1); }
EMU_EXPORT CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n, void *s) { return set_entry("cuMemsetD32Async", d, v, n, 4, s, 1); }

/* ---- stream-ordered allocation and memory pools ----------------------------------------------- */
/* The emulator has one pool object per device (the default pool) plus created pools; allocations from
 * them are ordinary registry allocations made when the call is enqueued. Capturing them into graphs
 * (memory nodes) is not emulated. */

typedef struct { uint32_t magic; unsigned long long release_threshold; } emu_pool;
static emu_pool g_default_pool = {EMU_MAGIC_POOL, 0};

static CUresult async_alloc(const char *name, CUdeviceptr *dptr, size_t bytes, void *pool, void *stream) {
    int f = emu_enter(name);
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(name, &ctx);
    if (r) return r;
    if (!dptr || (pool && ((emu_pool *) pool)->magic != EMU_MAGIC_POOL)) return CUDA_ERROR_INVALID_VALUE;
    emu_stream *s;
    if ((r = emu_resolve_stream(stream, ctx, &s))) return r;
    if (s->capture_status) {
        emu_error("%s during stream capture: memory nodes are not emulated", name);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    uintptr_t p;
    r = emu_mem_alloc(bytes, EMU_MEM_DEVICE, name, &p);
    if (r == CUDA_SUCCESS) *dptr = p;
    return r;
}

EMU_EXPORT CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t bytes, void *stream) {
    return async_alloc("cuMemAllocAsync", dptr, bytes, NULL, stream);
}
EMU_EXPORT CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t bytes, void *pool, void *stream) {
    return async_alloc("cuMemAllocFromPoolAsync", dptr, bytes, pool, stream);
}
EMU_EXPORT CUresult cuMemFreeAsync(CUdeviceptr dptr, void *stream) {
    int f = emu_enter("cuMemFreeAsync");
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx("cuMemFreeAsync", &ctx);
    if (r) return r;
    emu_stream *s;
    if ((r = emu_resolve_stream(stream, ctx, &s))) return r;
    if (s->capture_status) {
        emu_error("cuMemFreeAsync during stream capture: memory nodes are not emulated");
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    return emu_mem_free((uintptr_t) dptr, EMU_MEM_DEVICE, "cuMemFreeAsync");
}

EMU_EXPORT CUresult cuDeviceGetDefaultMemPool(void **pool, CUdevice dev) {
    EMU_ENTER_OR_FAIL("cuDeviceGetDefaultMemPool");
    if (!emu_initialized()) return CUDA_ERROR_NOT_INITIALIZED;
    if (dev != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!pool) return CUDA_ERROR_INVALID_VALUE;
    *pool = &g_default_pool;
    return CUDA_SUCCESS;
}
EMU_EXPORT CUresult cuDeviceGetMemPool(void **pool, CUdevice dev) { return cuDeviceGetDefaultMemPool(pool, dev); }

EMU_EXPORT CUresult cuMemPoolCreate(void **pool, const void *props) {
    int f = emu_enter("cuMemPoolCreate");
    if (f) return f;
    if (!pool || !props) return CUDA_ERROR_INVALID_VALUE;
    emu_pool *p = calloc(1, sizeof *p);
    p->magic = EMU_MAGIC_POOL;
    emu_track("memPool", 1);
    *pool = p;
    return CUDA_SUCCESS;
}
EMU_EXPORT CUresult cuMemPoolDestroy(void *pool) {
    EMU_ENTER_OR_FAIL("cuMemPoolDestroy");
    emu_pool *p = pool;
    if (!p || p->magic != EMU_MAGIC_POOL || p == &g_default_pool) return CUDA_ERROR_INVALID_VALUE;
    p->magic = EMU_MAGIC_DEAD;
    emu_track("memPool", -1);
    return CUDA_SUCCESS;
}
EMU_EXPORT CUresult cuMemPoolTrimTo(void *pool, size_t keep) {
    EMU_ENTER_OR_FAIL("cuMemPoolTrimTo");
    (void) keep;
    return pool && ((emu_pool *) pool)->magic == EMU_MAGIC_POOL ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}
EMU_EXPORT CUresult cuMemPoolSetAttribute(void *pool, int attr, void *value) {
    EMU_ENTER_OR_FAIL("cuMemPoolSetAttribute");
    emu_pool *p = pool;
    if (!p || p->magic != EMU_MAGIC_POOL || !value || attr < 1 || attr > 8) return CUDA_ERROR_INVALID_VALUE;
    if (attr == 4) p->release_threshold = *(unsigned long long *) value; /* RELEASE_THRESHOLD */
    return CUDA_SUCCESS;
}
EMU_EXPORT CUresult cuMemPoolGetAttribute(void *pool, int attr, void *value) {
    EMU_ENTER_OR_FAIL("cuMemPoolGetAttribute");
    emu_pool *p = pool;
    if (!p || p->magic != EMU_MAGIC_POOL || !value || attr < 1 || attr > 8) return CUDA_ERROR_INVALID_VALUE;
    if (attr == 4) *(unsigned long long *) value = p->release_threshold;
    else if (attr <= 3) *(int *) value = 1;
    else *(unsigned long long *) value = 0;
    return CUDA_SUCCESS;
}

/* ---- implicit frees by context destruction ---------------------------------------------------- */

static long g_freed_by_ctx;

/* Destroying a context (cuCtxDestroy, the last primary release, a primary reset) frees everything the
 * context owned, as the real driver does. The emulator counts those allocations separately: a program
 * that relies on it has leaked them from its own point of view. */
void emu_mem_release_ctx(emu_ctx *c) {
    emu_module_release_ctx(c);
    emu_stream_release_ctx(c);
    emu_lock();
    int n = 0;
    for (int i = 0; i < g_nlive;) {
        emu_alloc *a = g_live[i];
        if (a->ctx != c) { i++; continue; }
        g_live[i] = g_live[--g_nlive];
        if (a->kind == EMU_MEM_DEVICE) g_device_bytes -= (long long) a->size;
        a->freed = 1;
        quarantine(a);
        emu_track(a->kind == EMU_MEM_HOST ? "hostAllocation" : "deviceAllocation", -1);
        n++;
    }
    g_freed_by_ctx += n;
    emu_unlock();
    if (n) fprintf(stderr, "emu: warning: %d allocation(s) were still live when their context was destroyed; "
                           "freed implicitly (counted by emu_context_freed_allocations)\n", n);
}

EMU_EXPORT long emu_context_freed_allocations(void) { return g_freed_by_ctx; }
