/*
 * emu_cuda.h - internal declarations of the emulated CUDA driver (libcuda.so.1).
 *
 * The emulated "GPU" is host memory and host threads: device memory is mmap'ed host memory with
 * inaccessible guard pages, kernels are the project's .cu files compiled for the host, and every
 * stream runs its work synchronously at the moment it is enqueued. What is emulated faithfully is the
 * API contract: handles, per-thread current contexts, result codes, ownership and capture rules.
 *
 * Values of enums and result codes follow NVIDIA's cuda.h (CUDA 12.x; cross-checked against the
 * constants of org.bytedeco:cuda 13.1 in the test suite).
 */
#ifndef EMU_CUDA_H
#define EMU_CUDA_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include "emu_api.h"

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;

/* CUresult values used here (cuda.h). */
enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_FILE_NOT_FOUND = 301,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_ILLEGAL_STATE = 401,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708,
    CUDA_ERROR_CONTEXT_IS_DESTROYED = 709,
    CUDA_ERROR_NOT_PERMITTED = 800,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903,
    CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
    CUDA_ERROR_CAPTURED_EVENT = 907,
    CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908,
    CUDA_ERROR_UNKNOWN = 999,
};

/* Magic numbers make stale or foreign handles detectable (INVALID_HANDLE / INVALID_CONTEXT). */
#define EMU_MAGIC_CTX    0x43545831u /* "CTX1" */
#define EMU_MAGIC_STREAM 0x53544d31u
#define EMU_MAGIC_EVENT  0x45564e31u
#define EMU_MAGIC_MODULE 0x4d4f4431u
#define EMU_MAGIC_FUNC   0x46554e31u
#define EMU_MAGIC_GRAPH  0x47524631u
#define EMU_MAGIC_EXEC   0x47455831u
#define EMU_MAGIC_POOL   0x504f4c31u
#define EMU_MAGIC_DEAD   0xdeadbeefu

/* ---- global lock and logging (emu_state.c) ----------------------------------------------------- */
void emu_lock(void);
void emu_unlock(void);
int emu_initialized(void);
CUresult cuInit(unsigned int flags);
int emu_driver_version(void);           /* e.g. 12060 */
long long emu_memory_limit(void);
extern const long long EMU_TOTAL_MEM;   /* reported by cuDeviceTotalMem / cuMemGetInfo */

/* ---- contexts (context.c) --------------------------------------------------------------------- */
struct emu_stream;
typedef struct emu_ctx {
    uint32_t magic;
    int device;
    int primary;        /* 1 for the device's primary context */
    int refcount;       /* primary: retain count; created context: 1 until destroyed */
    unsigned flags;
    unsigned generation;/* bumped each time the context is (re)created: allocations remember it */
    int sticky;         /* a sticky error (ILLEGAL_ADDRESS) poisons the context, as on a GPU */
    struct emu_stream *null_stream; /* the legacy default stream (handle NULL / CU_STREAM_LEGACY) */
} emu_ctx;

/* The calling thread's current context or NULL. */
emu_ctx *emu_current_ctx(void);
/* CUDA_SUCCESS when the thread has a usable current context; otherwise logs (naming `call`) and
 * returns CUDA_ERROR_NOT_INITIALIZED / INVALID_CONTEXT / the context's sticky error. */
CUresult emu_require_ctx(const char *call, emu_ctx **out);
int emu_ctx_alive(const emu_ctx *c, unsigned generation);
void emu_ctx_set_sticky(emu_ctx *c, CUresult err);

/* ---- memory registry (memory.c) --------------------------------------------------------------- */
typedef struct emu_alloc {
    uintptr_t user;     /* address handed out */
    size_t size;        /* bytes requested */
    size_t span;        /* size rounded up to 256: the tail gap [user+size, user+span) holds guard bytes */
    void *map_base;
    size_t map_len;
    int kind;           /* EMU_MEM_DEVICE / EMU_MEM_HOST */
    long serial;        /* 1, 2, 3... in allocation order: messages name allocations by it */
    const char *origin; /* API that made it */
    emu_ctx *ctx;
    unsigned ctx_gen;
    int freed;
} emu_alloc;

CUresult emu_mem_alloc(size_t bytes, int kind, const char *origin, uintptr_t *out);
CUresult emu_mem_free(uintptr_t p, int kind, const char *origin);
/* Finds the live allocation containing p (NULL if none). Caller holds the lock. */
emu_alloc *emu_find_live(uintptr_t p);
/* Describes where address p is (live/freed allocation, offset) into buf. */
void emu_describe_address(uintptr_t p, char *buf, size_t cap);
/* Checks every live allocation's guard bytes; records an error per corrupted allocation (naming
 * `after`) and returns the number corrupted. */
int emu_check_guards(const char *after);
/* Validation used by memcpy/memset: [p, p+bytes) inside one live allocation of `kinds`.
 * Returns CUDA_SUCCESS or CUDA_ERROR_INVALID_VALUE (with an error line). */
CUresult emu_validate_range(uintptr_t p, size_t bytes, int kinds, const char *call, const char *what);
/* A host pointer must not be device memory (it would fault on a real GPU system when used as host). */
/* Frees (into quarantine) every allocation of context c, counting them as implicitly freed. */
void emu_mem_release_ctx(emu_ctx *c);
/* Likewise for modules (module.c) and streams/events (stream.c). */
void emu_module_release_ctx(emu_ctx *c);
void emu_stream_release_ctx(emu_ctx *c);
CUresult emu_validate_host(const void *p, size_t bytes, const char *call, const char *what);

/* ---- protected execution of device work (fault.c) --------------------------------------------- */
/* Runs fn(arg) so that a segmentation fault inside it (a kernel touching a guard page, freed or
 * foreign memory) becomes CUDA_ERROR_ILLEGAL_ADDRESS instead of killing the process. */
CUresult emu_run_protected(const char *name, int (*fn)(void *), void *arg);
void emu_install_fault_handler(void);

/* ---- streams and graphs (stream.c, graph.c) --------------------------------------------------- */
typedef struct emu_node {
    const char *name;
    emu_work_fn fn;
    void *payload;
    size_t size;
} emu_node;

typedef struct emu_graph {
    uint32_t magic;
    emu_node *nodes;
    int count, cap;
} emu_graph;

typedef struct emu_stream {
    uint32_t magic;
    emu_ctx *ctx;
    unsigned flags;
    int is_null;            /* the legacy default stream of ctx */
    int capture_status;     /* 0 none, 1 active, 2 invalidated (CUstreamCaptureStatus) */
    int capture_mode;       /* CUstreamCaptureMode */
    pthread_t capture_thread;
    emu_graph *capture_graph;
    struct emu_stream *capture_origin; /* the stream that began the capture this one joined */
} emu_stream;

/* Resolves a CUstream handle (NULL, 0x1 legacy, 0x2 per-thread, or an emu_stream). */
CUresult emu_resolve_stream(void *h, emu_ctx *ctx, emu_stream **out);
/* Unsafe (synchronising) API calls are refused while a capture that forbids them is active. */
CUresult emu_capture_forbids(const char *call);
emu_graph *emu_graph_new(void);
CUresult emu_graph_append(emu_graph *g, const char *name, emu_work_fn fn, const void *payload, size_t size);
void emu_graph_free(emu_graph *g);
/* Enqueue (= run now, or record when capturing). */
CUresult emu_submit(emu_stream *s, const char *name, emu_work_fn fn, const void *payload, size_t size);

/* ---- kernels (module.c, kernels_rt.cpp, generated trampolines) -------------------------------- */
typedef struct { unsigned x, y, z; } emu_dim3;
typedef void (*emu_kernel_run)(void **args, emu_dim3 grid, emu_dim3 block);
typedef struct emu_kernel_desc {
    const char *name;
    const char *kinds;      /* one char per parameter: p pointer, i int, l long long, f float, d double */
    const char *source;     /* the .cu file it came from */
    emu_kernel_run run;
} emu_kernel_desc;
EMU_EXPORT void emu_register_kernel(const emu_kernel_desc *k);
const emu_kernel_desc *emu_find_kernel(const char *name);
int emu_kernel_count(void);
const emu_kernel_desc *emu_kernel_at(int i);

#endif
