/*
 * fault.c - turns a memory fault inside emulated device work into CUDA_ERROR_ILLEGAL_ADDRESS.
 *
 * On a GPU a kernel that reads or writes outside its allocations raises an "illegal address" that
 * the host sees as an error code, not a crash. Here the kernel runs on the calling host thread; it
 * touches a guard page or a quarantined (freed) region and receives SIGSEGV. The handler below
 * recognises faults that happen while the thread is inside emulated work and jumps back out of it;
 * every other fault is passed on to the handler that was installed before (the JVM's, which uses
 * SIGSEGV for its own purposes), so the JVM keeps working exactly as without the emulator.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "emu_cuda.h"

static struct sigaction g_prev_segv, g_prev_bus;
static __thread sigjmp_buf *t_jump;      /* non-NULL while this thread runs emulated device work */
static __thread uintptr_t t_fault_addr;

static void chain(int sig, siginfo_t *info, void *uc) {
    struct sigaction *prev = sig == SIGSEGV ? &g_prev_segv : &g_prev_bus;
    if (prev->sa_flags & SA_SIGINFO) {
        if (prev->sa_sigaction) prev->sa_sigaction(sig, info, uc);
        return;
    }
    if (prev->sa_handler == SIG_IGN) return;
    if (prev->sa_handler == SIG_DFL) {
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    prev->sa_handler(sig);
}

static void on_fault(int sig, siginfo_t *info, void *uc) {
    sigjmp_buf *jb = t_jump;
    if (jb) {
        t_jump = NULL;
        t_fault_addr = (uintptr_t) info->si_addr;
        siglongjmp(*jb, 1);
    }
    chain(sig, info, uc);
}

void emu_install_fault_handler(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_prev_segv);
    sigaction(SIGBUS, &sa, &g_prev_bus);
}

CUresult emu_run_protected(const char *name, int (*fn)(void *), void *arg) {
    sigjmp_buf jb;
    sigjmp_buf *outer = t_jump; /* nested protected work (a graph launching nodes) */
    if (sigsetjmp(jb, 1)) {
        char where[320];
        t_jump = outer;
        emu_describe_address(t_fault_addr, where, sizeof where);
        emu_error("%s: illegal memory access: %s (CUDA_ERROR_ILLEGAL_ADDRESS)", name, where);
        emu_ctx_set_sticky(emu_current_ctx(), CUDA_ERROR_ILLEGAL_ADDRESS);
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    t_jump = &jb;
    int r = fn(arg);
    t_jump = outer;
    return r;
}
