/*
 * emu_state.c - process-wide state of the emulator: the lock, misuse log, call counters,
 * live-object counts and the fault-injection table. Shared by every emulated library.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu_cuda.h"

const long long EMU_TOTAL_MEM = 80LL * 1024 * 1024 * 1024; /* an 80 GB H100 */

/* Recursive so that a helper may take the lock its caller already holds. */
static pthread_mutex_t g_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
void emu_lock(void) { pthread_mutex_lock(&g_lock); }
void emu_unlock(void) { pthread_mutex_unlock(&g_lock); }

static int g_verbose;
static int g_driver_version = 12060;
static long long g_mem_limit;

int emu_driver_version(void) { return g_driver_version; }
long long emu_memory_limit(void) { return g_mem_limit > 0 ? g_mem_limit : EMU_TOTAL_MEM; }
EMU_EXPORT void emu_set_memory_limit(long long bytes) { g_mem_limit = bytes; }

/* ---- misuse log ------------------------------------------------------------------------------- */

static int g_errors;
static char g_last_error[1024];

EMU_EXPORT void emu_error(const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    emu_lock();
    g_errors++;
    snprintf(g_last_error, sizeof g_last_error, "%s", msg);
    emu_unlock();
    fprintf(stderr, "emu: ERROR %s\n", msg);
    fflush(stderr);
}

EMU_EXPORT void emu_log(const char *fmt, ...) {
    if (!g_verbose) return;
    va_list ap;
    va_start(ap, fmt);
    fputs("emu: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

EMU_EXPORT int emu_error_count(void) { return g_errors; }

EMU_EXPORT int emu_last_error(char *buf, int cap) {
    emu_lock();
    int n = (int) strlen(g_last_error);
    if (buf && cap > 0) snprintf(buf, (size_t) cap, "%s", g_last_error);
    emu_unlock();
    return n;
}

EMU_EXPORT void emu_clear_errors(void) {
    emu_lock();
    g_errors = 0;
    g_last_error[0] = 0;
    emu_unlock();
}

/* ---- name -> counter table (call counts and live-object counts) ------------------------------- */

typedef struct { char name[96]; long long value; } counter;
#define MAX_COUNTERS 1024
static counter g_calls[MAX_COUNTERS];
static int g_ncalls;
static counter g_objs[64];
static int g_nobjs;

static counter *counter_get(counter *tab, int *n, int max, const char *name, int create) {
    for (int i = 0; i < *n; i++)
        if (strcmp(tab[i].name, name) == 0) return &tab[i];
    if (!create || *n == max) return NULL;
    counter *c = &tab[(*n)++];
    snprintf(c->name, sizeof c->name, "%s", name);
    c->value = 0;
    return c;
}

EMU_EXPORT long long emu_call_count(const char *name) {
    emu_lock();
    counter *c = counter_get(g_calls, &g_ncalls, MAX_COUNTERS, name, 0);
    long long v = c ? c->value : 0;
    emu_unlock();
    return v;
}

EMU_EXPORT void emu_reset_counters(void) {
    emu_lock();
    g_ncalls = 0;
    emu_unlock();
}

EMU_EXPORT void emu_track(const char *kind, int delta) {
    emu_lock();
    counter *c = counter_get(g_objs, &g_nobjs, 64, kind, 1);
    if (c) c->value += delta;
    emu_unlock();
}

EMU_EXPORT int emu_live_count(const char *kind) {
    long long total = 0;
    emu_lock();
    for (int i = 0; i < g_nobjs; i++)
        if (kind == NULL || strcmp(g_objs[i].name, kind) == 0) total += g_objs[i].value;
    emu_unlock();
    return (int) total;
}

/* ---- fault injection -------------------------------------------------------------------------- */

typedef struct {
    char call[96];
    long long remaining; /* calls to let through before failing */
    int code;
    int repeat;
    int active;
} fault;
static fault g_faults[32];

/* Groups let a test fail "any allocation" without knowing which entry point the backend uses. */
static int in_group(const char *group, const char *name) {
    if (strcmp(group, "alloc") == 0)
        return strncmp(name, "cuMemAlloc", 10) == 0 || strncmp(name, "cuMemHostAlloc", 14) == 0;
    if (strcmp(group, "module") == 0) return strncmp(name, "cuModuleLoad", 12) == 0;
    return 0;
}

static int natural_failure(const char *name) {
    if (in_group("alloc", name)) return CUDA_ERROR_OUT_OF_MEMORY;
    if (strncmp(name, "cuModuleLoad", 12) == 0) return CUDA_ERROR_INVALID_PTX;
    if (strncmp(name, "cudnn", 5) == 0) return 4000;   /* CUDNN_STATUS_INTERNAL_ERROR (cuDNN 9) */
    if (strncmp(name, "cublas", 6) == 0) return 14;    /* CUBLAS_STATUS_INTERNAL_ERROR */
    if (strncmp(name, "nvrtc", 5) == 0) return 6;      /* NVRTC_ERROR_COMPILATION */
    return CUDA_ERROR_UNKNOWN;
}

EMU_EXPORT int emu_fault_set(const char *call, int nth, int code, int repeat) {
    if (!call || nth < 1) return -1;
    emu_lock();
    for (int i = 0; i < 32; i++) {
        if (g_faults[i].active) continue;
        fault *f = &g_faults[i];
        snprintf(f->call, sizeof f->call, "%s", call);
        f->remaining = nth - 1;
        f->code = code;
        f->repeat = repeat;
        f->active = 1;
        emu_unlock();
        return 0;
    }
    emu_unlock();
    return -1;
}

EMU_EXPORT void emu_fault_clear(void) {
    emu_lock();
    memset(g_faults, 0, sizeof g_faults);
    emu_unlock();
}

/* Must be called with the lock held. Consumes one call of every matching fault. */
static int fault_hit(const char *name, int consume) {
    int code = 0;
    for (int i = 0; i < 32; i++) {
        fault *f = &g_faults[i];
        if (!f->active || (strcmp(f->call, name) != 0 && !in_group(f->call, name))) continue;
        if (f->remaining > 0) {
            if (consume) f->remaining--;
            continue;
        }
        if (!code) code = f->code ? f->code : natural_failure(name);
        if (consume && !f->repeat) f->active = 0;
    }
    return code;
}

EMU_EXPORT int emu_enter(const char *name) {
    emu_lock();
    counter *c = counter_get(g_calls, &g_ncalls, MAX_COUNTERS, name, 1);
    if (c) c->value++;
    int code = fault_hit(name, 1);
    emu_unlock();
    if (code) fprintf(stderr, "emu: injected fault: %s returns %d\n", name, code);
    return code;
}

EMU_EXPORT int emu_fault_pending(const char *name) {
    emu_lock();
    int code = fault_hit(name, 0);
    emu_unlock();
    return code;
}

/* ---- report and load-time configuration ------------------------------------------------------- */

EMU_EXPORT int emu_report(void) {
    emu_lock();
    int live = 0;
    fprintf(stderr, "emu: report: %d live allocation(s), %lld bytes; %d misuse error(s)\n",
            emu_live_allocations(), emu_live_bytes(), g_errors);
    for (int i = 0; i < g_nobjs; i++) {
        if (g_objs[i].value == 0) continue;
        fprintf(stderr, "emu:   live %-28s %lld\n", g_objs[i].name, g_objs[i].value);
        live += (int) g_objs[i].value;
    }
    emu_unlock();
    return live;
}

static void report_at_exit(void) {
    if (emu_report() > 0) fprintf(stderr, "emu: objects above were never released (leak)\n");
}

__attribute__((constructor)) static void emu_state_init(void) {
    const char *v = getenv("EMU_VERBOSE");
    g_verbose = v && *v == '1';
    v = getenv("EMU_DRIVER_VERSION");
    if (v && atoi(v) > 0) g_driver_version = atoi(v);
    v = getenv("EMU_MEM_LIMIT");
    if (v) g_mem_limit = atoll(v);
    v = getenv("EMU_REPORT_AT_EXIT");
    if (v && *v == '1') atexit(report_at_exit);
    /* EMU_FAULTS=name:nth:code[:repeat],... */
    v = getenv("EMU_FAULTS");
    if (v) {
        char *copy = strdup(v), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
            char name[96] = {0};
            int nth = 1, code = 0, repeat = 0;
            if (sscanf(tok, "%95[^:]:%d:%d:%d", name, &nth, &code, &repeat) >= 1)
                emu_fault_set(name, nth, code, repeat);
        }
        free(copy);
    }
}
