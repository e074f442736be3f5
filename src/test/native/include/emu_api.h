/*
 * emu_api.h - the emulator's own API, exported by the emulated libcuda.so.1.
 *
 * Two audiences:
 *  - tests (through java.lang.foreign): queries (live objects, detected misuse, call counts) and
 *    fault-injection controls;
 *  - the emulated cuDNN / cuBLAS / NVRTC libraries, which link libcuda.so.1 so that every library in
 *    the process shares one allocation registry, one stream model and one fault table.
 *
 * Nothing here exists in NVIDIA's libraries; every name starts with emu_ so that it can never be
 * mistaken for a driver entry point.
 */
#ifndef EMU_API_H
#define EMU_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMU_EXPORT __attribute__((visibility("default")))

/* ---- queries for tests -------------------------------------------------------------------- */

/* Live device + pinned-host allocations (the leak check). */
EMU_EXPORT int emu_live_allocations(void);
EMU_EXPORT long long emu_live_bytes(void);
/* Allocations that were still live when their context was destroyed (cuCtxDestroy, last primary
 * release, primary reset): the driver frees them, but the program had leaked them. */
EMU_EXPORT long emu_context_freed_allocations(void);
/* Live objects of one kind ("alloc", "host", "stream", "event", "module", "graph", "graphExec",
 * "cudnnHandle", "cudnnTensorDescriptor", "cublasHandle", ...); NULL = all kinds summed. */
EMU_EXPORT int emu_live_count(const char *kind);
/* Prints every live allocation and object count to stderr; returns the number of live objects
 * (allocations included). Also run at exit when EMU_REPORT_AT_EXIT=1. */
EMU_EXPORT int emu_report(void);
/* Misuse the emulator detected (double free, use after free, out-of-bounds copy or argument,
 * missing current context, guard bytes overwritten by a kernel, ...). Each one also printed a
 * line starting with "emu: ERROR" on stderr. */
EMU_EXPORT int emu_error_count(void);
/* Copies the last misuse message (NUL-terminated, truncated to cap); returns its full length. */
EMU_EXPORT int emu_last_error(char *buf, int cap);
EMU_EXPORT void emu_clear_errors(void);
/* How often an API function (exact exported name, e.g. "cuLaunchKernel", "cudnnConvolutionForward")
 * or a kernel ("kernel:fold_bn") was entered since load or the last emu_reset_counters(). */
EMU_EXPORT long long emu_call_count(const char *name);
EMU_EXPORT void emu_reset_counters(void);
/* Number of contexts current on any thread right now is not observable; this tells whether the
 * calling thread has one (1) or not (0). */
EMU_EXPORT int emu_thread_has_context(void);

/* ---- fault injection ------------------------------------------------------------------------ */

/* The nth call (1 = the next one) of the function named `call` from now returns `code` instead of
 * running. `call` is an exported name ("cuMemAlloc_v2", "cuModuleLoadData", "cudnnCreate",
 * "cublasSgemm_v2", ...) or one of the groups "alloc" (every device allocation entry point) and
 * "module" (every module load entry point). code 0 picks the natural failure (OOM for an allocation,
 * CUDA_ERROR_INVALID_PTX for a module load, CUDNN_STATUS_INTERNAL_ERROR / CUBLAS_STATUS_INTERNAL_ERROR /
 * NVRTC_ERROR_COMPILATION for cuDNN / cuBLAS / NVRTC names, CUDA_ERROR_UNKNOWN for any other driver
 * call, copies and frees included). Every entry point that returns a status honours a fault (only
 * cudnnGetVersion, which returns the version, just counts). `repeat` != 0 keeps failing every call
 * after the nth too.
 * Returns 0, or -1 when the table is full. Also settable with
 * EMU_FAULTS="name:nth:code[:repeat],..." in the environment at load time. */
EMU_EXPORT int emu_fault_set(const char *call, int nth, int code, int repeat);
EMU_EXPORT void emu_fault_clear(void);
/* Upper bound of device memory the emulator hands out (bytes); 0 = default (80 GiB reported,
 * no limit beyond the host's). cuMemAlloc past it returns CUDA_ERROR_OUT_OF_MEMORY. */
EMU_EXPORT void emu_set_memory_limit(long long bytes);

/* ---- for the emulated cuDNN / cuBLAS / NVRTC libraries --------------------------------------- */

/* Counts the call and applies injected faults: returns 0 to proceed, else the code to return. */
EMU_EXPORT int emu_enter(const char *name);
/* Entry of an API function that returns a status: counts the call and returns an injected fault's code
 * from the calling function. */
#define EMU_ENTER_OR_FAIL(name)                 \
    do {                                        \
        int emu_injected_ = emu_enter(name);    \
        if (emu_injected_) return emu_injected_; \
    } while (0)
/* What emu_enter would return if a fault injected without a code triggers for `name`. */
EMU_EXPORT int emu_fault_pending(const char *name);
/* Records a misuse: prints "emu: ERROR <msg>" and counts it. printf-style. */
EMU_EXPORT void emu_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational stderr line, only when EMU_VERBOSE=1. */
EMU_EXPORT void emu_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Live-object bookkeeping by kind name (the string must be static). */
EMU_EXPORT void emu_track(const char *kind, int delta);

/* Kinds of memory a pointer may live in. */
#define EMU_MEM_DEVICE 1
#define EMU_MEM_HOST   2 /* pinned host memory (cuMemAllocHost/cuMemHostAlloc): device-accessible under UVA */
/* Checks that [p, p+bytes) lies inside one live allocation of an accepted kind (mask of EMU_MEM_*).
 * Returns 0 when it does; otherwise records an error naming `what` (use after free, out of bounds,
 * unknown pointer) and returns -1. bytes == 0 checks only p. */
EMU_EXPORT int emu_check_range(const void *p, size_t bytes, int kinds, const char *what);

/* A unit of device work: the emulated libraries package an operation (its arguments copied by
 * value) and hand it to the stream. */
typedef int (*emu_work_fn)(void *payload);
/* Runs `fn(payload)` in stream order on `stream` (a CUstream / cudaStream_t, NULL = legacy default
 * stream). When the stream is being captured, the payload (payload_size bytes, copied) is recorded
 * in the graph and runs at each launch of it instead. `name` is used in messages.
 * Returns 0 (CUDA_SUCCESS), the fn's nonzero status, CUDA_ERROR_ILLEGAL_ADDRESS (700) when the work
 * touched memory outside every live allocation, or a stream/capture error. */
EMU_EXPORT int emu_stream_submit(void *stream, const char *name, emu_work_fn fn, const void *payload,
                                 size_t payload_size);
/* The runtime API (cudart, used inside cuDNN/cuBLAS) makes device 0's primary context current when a
 * thread has none; the emulated libraries call this to do the same. Returns 0 or a CUresult. */
EMU_EXPORT int emu_runtime_bind(void);
/* Validates a stream handle (NULL and the special handles 1, 2 are valid). 0 or a CUresult. */
EMU_EXPORT int emu_stream_check(void *stream);
/* The host-built kernels: names joined by ";" (returns the full length), and the .cu file of one. */
EMU_EXPORT int emu_kernel_names(char *buf, int cap);
EMU_EXPORT const char *emu_kernel_source(const char *name);

#ifdef __cplusplus
}
#endif
#endif
