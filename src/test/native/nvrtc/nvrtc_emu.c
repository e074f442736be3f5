/*
 * nvrtc_emu.c - emulated NVRTC. It cannot compile CUDA C++, but it plays the part of the compiler in the
 * backend's build path: options are validated like NVRTC's, the kernels of the source are found by the
 * project's one-line prototype rule, each must be one the emulator built for the host from the same
 * prototype, and the result is a PTX text (ISA of the emulated NVRTC version) or, for a real sm_NN
 * architecture, a CUBIN-like image that the emulated driver loads only for sm_90.
 *
 * EMU_NVRTC_VERSION=MAJOR.MINOR selects the version (default 12.6 -> PTX ISA 8.5; 13.0 -> 9.0).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu_api.h"

typedef int nvrtcResult;
enum {
    NVRTC_SUCCESS = 0, NVRTC_ERROR_OUT_OF_MEMORY = 1, NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3, NVRTC_ERROR_INVALID_PROGRAM = 4, NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6, NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7, NVRTC_ERROR_INTERNAL_ERROR = 11,
};

#define MAGIC 0x4e565254u
#define DEAD 0xdeadbeefu

typedef struct {
    uint32_t magic;
    char *src, *name;
    int compiled;
    char *ptx, *cubin, *log;
    size_t ptx_len, cubin_len;
} program;

static int g_major = 12, g_minor = 6;

__attribute__((constructor)) static void nvrtc_init(void) {
    const char *v = getenv("EMU_NVRTC_VERSION");
    if (v) sscanf(v, "%d.%d", &g_major, &g_minor);
}

/* PTX ISA emitted by each NVRTC release (PTX ISA release history). */
static void ptx_isa(int *maj, int *min) {
    if (g_major >= 13) { *maj = 9; *min = g_minor; return; }
    static const int isa12[] = {0, 1, 2, 3, 4, 5, 5, 6, 7, 8};
    *maj = 8;
    *min = g_minor <= 9 ? isa12[g_minor] : 8;
}

EMU_EXPORT const char *nvrtcGetErrorString(nvrtcResult r) {
    switch (r) {
    case 0: return "NVRTC_SUCCESS";
    case 1: return "NVRTC_ERROR_OUT_OF_MEMORY";
    case 2: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
    case 3: return "NVRTC_ERROR_INVALID_INPUT";
    case 4: return "NVRTC_ERROR_INVALID_PROGRAM";
    case 5: return "NVRTC_ERROR_INVALID_OPTION";
    case 6: return "NVRTC_ERROR_COMPILATION";
    case 7: return "NVRTC_ERROR_BUILTIN_OPERATION_FAILURE";
    case 11: return "NVRTC_ERROR_INTERNAL_ERROR";
    default: return "NVRTC_ERROR unknown";
    }
}

EMU_EXPORT nvrtcResult nvrtcVersion(int *major, int *minor) {
    EMU_ENTER_OR_FAIL("nvrtcVersion");
    if (!major || !minor) return NVRTC_ERROR_INVALID_INPUT;
    *major = g_major;
    *minor = g_minor;
    return NVRTC_SUCCESS;
}

/* Architectures NVRTC 12.x accepts (compute capability x10). */
static const int ARCHS[] = {50, 52, 53, 60, 61, 62, 70, 72, 75, 80, 86, 87, 89, 90};

EMU_EXPORT nvrtcResult nvrtcGetNumSupportedArchs(int *n) {
    if (!n) return NVRTC_ERROR_INVALID_INPUT;
    *n = (int) (sizeof ARCHS / sizeof ARCHS[0]);
    return NVRTC_SUCCESS;
}

EMU_EXPORT nvrtcResult nvrtcGetSupportedArchs(int *out) {
    if (!out) return NVRTC_ERROR_INVALID_INPUT;
    memcpy(out, ARCHS, sizeof ARCHS);
    return NVRTC_SUCCESS;
}

EMU_EXPORT nvrtcResult nvrtcCreateProgram(program **out, const char *src, const char *name, int nheaders,
                                          const char *const *headers, const char *const *names) {
    int f = emu_enter("nvrtcCreateProgram");
    if (f) return f;
    if (!out) return NVRTC_ERROR_INVALID_PROGRAM;
    if (!src || nheaders < 0 || (nheaders > 0 && (!headers || !names))) return NVRTC_ERROR_INVALID_INPUT;
    program *p = calloc(1, sizeof *p);
    p->magic = MAGIC;
    p->src = strdup(src);
    p->name = strdup(name ? name : "default_program");
    emu_track("nvrtcProgram", 1);
    *out = p;
    return NVRTC_SUCCESS;
}

EMU_EXPORT nvrtcResult nvrtcDestroyProgram(program **pp) {
    EMU_ENTER_OR_FAIL("nvrtcDestroyProgram");
    if (!pp || !*pp || (*pp)->magic != MAGIC) {
        if (pp && *pp && (*pp)->magic == DEAD) emu_error("nvrtcDestroyProgram on an already destroyed program");
        return NVRTC_ERROR_INVALID_PROGRAM;
    }
    program *p = *pp;
    free(p->src); free(p->name); free(p->ptx); free(p->cubin); free(p->log);
    p->magic = DEAD; /* header kept so that a second destroy is recognised */
    emu_track("nvrtcProgram", -1);
    *pp = NULL;
    return NVRTC_SUCCESS;
}

static void append(char **buf, size_t *len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char **buf, size_t *len, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    *buf = realloc(*buf, *len + (size_t) n + 1);
    memcpy(*buf + *len, s, (size_t) n + 1);
    *len += (size_t) n;
    free(s);
}

/* Parses one option; returns 0 if NVRTC would reject it. */
static int parse_option(const char *o, int *arch, int *real_arch) {
    const char *a = NULL;
    if (!strncmp(o, "--gpu-architecture=", 19)) a = o + 19;
    else if (!strncmp(o, "-arch=", 6)) a = o + 6;
    if (a) {
        int real = !strncmp(a, "sm_", 3), virt = !strncmp(a, "compute_", 8);
        if (!real && !virt) return 0;
        int cc = atoi(a + (real ? 3 : 8));
        for (size_t i = 0; i < sizeof ARCHS / sizeof ARCHS[0]; i++)
            if (ARCHS[i] == cc) { *arch = cc; *real_arch = real; return 1; }
        return 0;
    }
    static const char *flags[] = {"--fmad=false", "--fmad=true", "-fmad=false", "-fmad=true", "--use_fast_math",
                                  "-use_fast_math", "--device-debug", "-G", "--generate-line-info", "-lineinfo",
                                  "-default-device", "--std=c++11", "--std=c++14", "--std=c++17", "-std=c++11",
                                  "-std=c++14", "-std=c++17", "-w", "--disable-warnings", "-ftz=true", "-ftz=false",
                                  "--ftz=true", "--ftz=false", "-prec-div=true", "-prec-sqrt=true", NULL};
    for (int i = 0; flags[i]; i++)
        if (!strcmp(o, flags[i])) return 1;
    if (!strncmp(o, "-D", 2) || !strncmp(o, "--define-macro=", 15) || !strncmp(o, "-I", 2) ||
        !strncmp(o, "--include-path=", 15) || !strncmp(o, "-maxrregcount=", 14))
        return 1;
    return 0;
}

/* The prototype line of kernel `name` in `text` (one line), copied into out; 0 if absent. */
static int prototype_line(const char *text, const char *name, char *out, size_t cap) {
    size_t nl = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += nl) {
        const char *ls = p;
        while (ls > text && ls[-1] != '\n') ls--;
        const char *le = strchr(p, '\n');
        if (!le) le = p + strlen(p);
        char line[4096];
        size_t len = (size_t) (le - ls) < sizeof line - 1 ? (size_t) (le - ls) : sizeof line - 1;
        memcpy(line, ls, len);
        line[len] = 0;
        if (strstr(line, "__global__") && strstr(line, "extern") && !strstr(line, "//") &&
            !isalnum((unsigned char) p[nl]) && p[nl] != '_' && (p == text || (!isalnum((unsigned char) p[-1]) && p[-1] != '_'))) {
            /* the prototype ends at the parenthesis that closes the parameter list */
            char *open = strchr(line + (p - ls), '(');
            if (open) {
                int depth = 0;
                for (char *q = open; *q; q++) {
                    if (*q == '(') depth++;
                    else if (*q == ')' && --depth == 0) { q[1] = 0; break; }
                }
            }
            snprintf(out, cap, "%s", line);
            return 1;
        }
    }
    return 0;
}

EMU_EXPORT nvrtcResult nvrtcCompileProgram(program *p, int nopts, const char *const *opts) {
    int f = emu_enter("nvrtcCompileProgram");
    if (f) return f;
    if (!p || p->magic != MAGIC) return NVRTC_ERROR_INVALID_PROGRAM;
    if (nopts < 0 || (nopts > 0 && !opts)) return NVRTC_ERROR_INVALID_INPUT;
    size_t loglen = 0;
    free(p->log); free(p->ptx); free(p->cubin);
    p->log = p->ptx = p->cubin = NULL;
    p->ptx_len = p->cubin_len = 0;
    p->compiled = 0;
    int arch = 52, real = 0; /* NVRTC 12's default is compute_52 */
    for (int i = 0; i < nopts; i++)
        if (!opts[i] || !parse_option(opts[i], &arch, &real)) {
            append(&p->log, &loglen, "nvrtc: error: invalid value or unrecognized option '%s'\n", opts[i] ? opts[i] : "(null)");
            return NVRTC_ERROR_INVALID_OPTION;
        }
    /* Kernels by the one-line rule; each must match the host build's prototype exactly. */
    char names[8192];
    emu_kernel_names(names, sizeof names);
    int isa_major, isa_minor;
    ptx_isa(&isa_major, &isa_minor);
    char *ptx = NULL;
    size_t ptxlen = 0;
    append(&ptx, &ptxlen, "//\n// Generated by the FoldRT NVRTC emulator %d.%d from %s\n//\n\n.version %d.%d\n.target sm_%d\n"
           ".address_size 64\n\n", g_major, g_minor, p->name, isa_major, isa_minor, arch);
    int errors = 0, kernels = 0;
    const char *s = p->src;
    for (const char *g = strstr(s, "__global__"); g; g = strstr(g + 10, "__global__")) {
        const char *ls = g;
        while (ls > s && ls[-1] != '\n') ls--;
        const char *slash = strstr(ls, "//");
        if (slash && slash < g) continue; /* inside a comment */
        const char *v = strstr(g, "void");
        const char *paren = v ? strchr(v, '(') : NULL;
        const char *le = strchr(g, '\n');
        if (!v || !paren || (le && paren > le) || !strstr(ls, "extern \"C\"") || strstr(ls, "extern \"C\"") > g) {
            append(&p->log, &loglen, "%s: error: a __global__ function is not declared as 'extern \"C\" __global__ void "
                   "NAME(...)' on one line (the project's kernel rule)\n", p->name);
            errors++;
            continue;
        }
        const char *n0 = v + 4;
        while (*n0 == ' ') n0++;
        const char *n1 = n0;
        while (isalnum((unsigned char) *n1) || *n1 == '_') n1++;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int) (n1 - n0), n0);
        const char *file = emu_kernel_source(name);
        char mine[4096], host[4096];
        if (!file) {
            append(&p->log, &loglen, "%s: error: kernel '%s' has no host build in the emulator (is it in src/main/cuda?)\n",
                   p->name, name);
            errors++;
            continue;
        }
        FILE *fp = fopen(file, "r");
        char *text = NULL;
        if (fp) {
            fseek(fp, 0, SEEK_END);
            long len = ftell(fp);
            fseek(fp, 0, SEEK_SET);
            text = calloc(1, (size_t) len + 1);
            if (fread(text, 1, (size_t) len, fp) != (size_t) len) text[0] = 0;
            fclose(fp);
        }
        if (text && prototype_line(p->src, name, mine, sizeof mine) && prototype_line(text, name, host, sizeof host) &&
            strcmp(mine, host) != 0) {
            append(&p->log, &loglen, "%s: error: kernel '%s' differs from the host build in %s:\n  compiled: %s\n  built:    %s\n",
                   p->name, name, file, mine, host);
            errors++;
        }
        free(text);
        append(&ptx, &ptxlen, ".visible .entry %s(\n)\n{\n\tret;\n}\n\n", name);
        kernels++;
    }
    if (errors) {
        free(ptx);
        return NVRTC_ERROR_COMPILATION;
    }
    if (!p->log) append(&p->log, &loglen, "%s", "");
    p->ptx = ptx;
    p->ptx_len = ptxlen + 1;
    if (real) {
        size_t clen = 0;
        append(&p->cubin, &clen, "//EMU-CUBIN sm_%d\n%s", arch, ptx);
        p->cubin_len = clen + 1;
    }
    p->compiled = 1;
    emu_log("nvrtc: %s compiled, %d kernel(s), arch %s_%d", p->name, kernels, real ? "sm" : "compute", arch);
    return NVRTC_SUCCESS;
}

static nvrtcResult get_size(program *p, size_t *out, int which) {
    if (!p || p->magic != MAGIC) return NVRTC_ERROR_INVALID_PROGRAM;
    if (!out) return NVRTC_ERROR_INVALID_INPUT;
    if (which == 2) { *out = p->log ? strlen(p->log) + 1 : 1; return NVRTC_SUCCESS; }
    if (!p->compiled) return NVRTC_ERROR_INVALID_PROGRAM;
    *out = which == 0 ? p->ptx_len : p->cubin_len;
    return NVRTC_SUCCESS;
}

static nvrtcResult get_data(program *p, char *out, int which) {
    if (!p || p->magic != MAGIC) return NVRTC_ERROR_INVALID_PROGRAM;
    if (!out) return NVRTC_ERROR_INVALID_INPUT;
    if (which == 2) { strcpy(out, p->log ? p->log : ""); return NVRTC_SUCCESS; }
    if (!p->compiled) return NVRTC_ERROR_INVALID_PROGRAM;
    if (which == 0) memcpy(out, p->ptx, p->ptx_len);
    else if (p->cubin) memcpy(out, p->cubin, p->cubin_len);
    else return NVRTC_ERROR_INVALID_INPUT; /* no CUBIN for a virtual architecture */
    return NVRTC_SUCCESS;
}

EMU_EXPORT nvrtcResult nvrtcGetPTXSize(program *p, size_t *n) { emu_enter("nvrtcGetPTXSize"); return get_size(p, n, 0); }
EMU_EXPORT nvrtcResult nvrtcGetPTX(program *p, char *out) { emu_enter("nvrtcGetPTX"); return get_data(p, out, 0); }
EMU_EXPORT nvrtcResult nvrtcGetCUBINSize(program *p, size_t *n) { emu_enter("nvrtcGetCUBINSize"); return get_size(p, n, 1); }
EMU_EXPORT nvrtcResult nvrtcGetCUBIN(program *p, char *out) { emu_enter("nvrtcGetCUBIN"); return get_data(p, out, 1); }
EMU_EXPORT nvrtcResult nvrtcGetProgramLogSize(program *p, size_t *n) { emu_enter("nvrtcGetProgramLogSize"); return get_size(p, n, 2); }
EMU_EXPORT nvrtcResult nvrtcGetProgramLog(program *p, char *out) { emu_enter("nvrtcGetProgramLog"); return get_data(p, out, 2); }
