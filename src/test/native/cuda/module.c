/*
 * module.c - modules, functions and cuLaunchKernel.
 *
 * A module image is accepted in three forms:
 *  - PTX text: its `.version` must be one the emulated driver can JIT (CUDA 12.6 driver: PTX ISA <= 8.5,
 *    see EMU_DRIVER_VERSION) and its `.target` must not be newer than sm_90; the kernels it provides
 *    are the names on its `.entry NAME(` lines;
 *  - a CUBIN (ELF, e_machine EM_CUDA): the kernels are its global function symbols;
 *  - the emulated NVRTC's CUBIN ("//EMU-CUBIN sm_NN" followed by PTX text), accepted only for sm_90.
 * A kernel is runnable when the module names it AND the emulator has a host build of it (every
 * `extern "C" __global__` function of the .cu files under src/main/cuda and of the test kernels is
 * compiled in).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "emu_cuda.h"

/* ---- host-built kernel registry (filled by static constructors of the generated trampolines) ---- */

#define MAX_KERNELS 256
static const emu_kernel_desc *g_kernels[MAX_KERNELS];
static int g_nkernels;

EMU_EXPORT void emu_register_kernel(const emu_kernel_desc *k) {
    if (g_nkernels < MAX_KERNELS) g_kernels[g_nkernels++] = k;
}
const emu_kernel_desc *emu_find_kernel(const char *name) {
    for (int i = 0; i < g_nkernels; i++)
        if (strcmp(g_kernels[i]->name, name) == 0) return g_kernels[i];
    return NULL;
}
int emu_kernel_count(void) { return g_nkernels; }
const emu_kernel_desc *emu_kernel_at(int i) { return i >= 0 && i < g_nkernels ? g_kernels[i] : NULL; }

/* For tests: the names of the host-built kernels, ';'-separated. Returns the full length. */
EMU_EXPORT int emu_kernel_names(char *buf, int cap) {
    int n = 0;
    for (int i = 0; i < g_nkernels; i++) {
        int w = snprintf(buf && n < cap ? buf + n : NULL, buf && n < cap ? (size_t) (cap - n) : 0, "%s%s",
                         i ? ";" : "", g_kernels[i]->name);
        n += w;
    }
    return n;
}

/* ---- modules ---------------------------------------------------------------------------------- */

#define MAX_ENTRIES 128
typedef struct emu_module emu_module;
typedef struct emu_func {
    uint32_t magic;
    emu_module *module;
    const emu_kernel_desc *kernel;
} emu_func;

struct emu_module {
    uint32_t magic;
    emu_module *next; /* all modules ever loaded, for context destruction */
    emu_ctx *ctx;
    int nentries;
    char *entries[MAX_ENTRIES];
    emu_func *funcs[MAX_ENTRIES]; /* created on demand by cuModuleGetFunction */
};

/* Highest PTX ISA version (x10) the driver of a given CUDA version can JIT (PTX ISA release history). */
static int max_ptx_isa(int driver) {
    int major = driver / 1000, minor = (driver % 1000) / 10;
    if (major >= 13) return 90 + minor;
    if (major == 12) {
        static const int isa[] = {80, 81, 82, 83, 84, 85, 85, 86, 87, 88};
        return minor <= 9 ? isa[minor] : 88;
    }
    return 78;
}

static void add_entry(emu_module *m, const char *name, size_t len) {
    if (m->nentries == MAX_ENTRIES || len == 0) return;
    m->entries[m->nentries++] = strndup(name, len);
}

static int is_ident(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

static CUresult parse_ptx(emu_module *m, const char *text, int require_sm, char *log, size_t logcap) {
    const char *v = strstr(text, ".version");
    const char *t = strstr(text, ".target");
    if (!v || !t) {
        snprintf(log, logcap, "not a PTX image: no .version/.target directive");
        return CUDA_ERROR_INVALID_IMAGE;
    }
    int vmaj = 0, vmin = 0, sm = 0;
    if (sscanf(v, ".version %d.%d", &vmaj, &vmin) != 2 || sscanf(t, ".target sm_%d", &sm) != 1) {
        snprintf(log, logcap, "malformed .version or .target directive");
        return CUDA_ERROR_INVALID_PTX;
    }
    int isa = vmaj * 10 + vmin, maxisa = max_ptx_isa(emu_driver_version());
    if (require_sm && sm != require_sm) {
        snprintf(log, logcap, "CUBIN built for sm_%d cannot run on this sm_90 device", require_sm);
        return CUDA_ERROR_NO_BINARY_FOR_GPU;
    }
    if (!require_sm && isa > maxisa) {
        snprintf(log, logcap, "PTX ISA %d.%d is newer than this driver (CUDA %d.%d) supports (max %d.%d)", vmaj,
                 vmin, emu_driver_version() / 1000, emu_driver_version() % 1000 / 10, maxisa / 10, maxisa % 10);
        return CUDA_ERROR_UNSUPPORTED_PTX_VERSION;
    }
    if (sm > 90) {
        snprintf(log, logcap, "ptxas: .target sm_%d is newer than the device (sm_90)", sm);
        return CUDA_ERROR_INVALID_PTX;
    }
    for (const char *p = strstr(text, ".entry"); p; p = strstr(p + 6, ".entry")) {
        const char *q = p + 6;
        if (*q != ' ' && *q != '\t') continue;
        while (*q == ' ' || *q == '\t') q++;
        const char *e = q;
        while (is_ident(*e)) e++;
        add_entry(m, q, (size_t) (e - q));
    }
    return CUDA_SUCCESS;
}

static CUresult parse_elf(emu_module *m, const unsigned char *img, char *log, size_t logcap) {
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *) img;
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != 190 /* EM_CUDA */) {
        snprintf(log, logcap, "ELF image is not a 64-bit CUDA binary");
        return CUDA_ERROR_INVALID_IMAGE;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *) (img + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB) continue;
        const Elf64_Sym *sym = (const Elf64_Sym *) (img + sh[i].sh_offset);
        const char *str = (const char *) img + sh[sh[i].sh_link].sh_offset;
        size_t n = sh[i].sh_size / sizeof *sym;
        for (size_t j = 0; j < n; j++)
            if (ELF64_ST_TYPE(sym[j].st_info) == STT_FUNC && ELF64_ST_BIND(sym[j].st_info) == STB_GLOBAL)
                add_entry(m, str + sym[j].st_name, strlen(str + sym[j].st_name));
    }
    return CUDA_SUCCESS;
}

static void write_log(int n, const int *opts, void **vals, const char *text, int error) {
    if (!opts || !vals) return;
    int buf_opt = error ? 5 : 3, size_opt = error ? 6 : 4; /* CU_JIT_{ERROR,INFO}_LOG_BUFFER(_SIZE_BYTES) */
    char *buf = NULL;
    size_t cap = 0;
    int size_idx = -1;
    for (int i = 0; i < n; i++) {
        if (opts[i] == buf_opt) buf = vals[i];
        if (opts[i] == size_opt) { cap = (size_t) (uintptr_t) vals[i]; size_idx = i; }
    }
    if (buf && cap) {
        snprintf(buf, cap, "%s", text);
        vals[size_idx] = (void *) (uintptr_t) (strlen(buf) + 1);
    }
}

static emu_module *g_modules;

/* Destroying a context unloads its modules. */
void emu_module_release_ctx(emu_ctx *c) {
    emu_lock();
    for (emu_module *m = g_modules; m; m = m->next)
        if (m->ctx == c && m->magic == EMU_MAGIC_MODULE) {
            m->magic = EMU_MAGIC_DEAD;
            emu_track("module", -1);
        }
    emu_unlock();
}

static CUresult module_load(const char *name, void **pmod, const void *image, int nopts, const int *opts, void **vals) {
    int f = emu_enter(name);
    if (f) {
        write_log(nopts, opts, vals, "emu: injected module load failure", 1);
        return f;
    }
    emu_ctx *ctx;
    CUresult r = emu_require_ctx(name, &ctx);
    if (r) return r;
    if (!pmod || !image) return CUDA_ERROR_INVALID_VALUE;
    emu_module *m = calloc(1, sizeof *m);
    m->magic = EMU_MAGIC_MODULE;
    m->ctx = ctx;
    char log[512] = "";
    const unsigned char *img = image;
    if (memcmp(img, ELFMAG, SELFMAG) == 0) r = parse_elf(m, img, log, sizeof log);
    else if (*(const uint32_t *) img == 0xBA55ED50u) {
        snprintf(log, sizeof log, "fat binaries are not emulated: load PTX or a CUBIN");
        r = CUDA_ERROR_NOT_SUPPORTED;
    } else if (strncmp((const char *) img, "//EMU-CUBIN sm_", 15) == 0)
        r = parse_ptx(m, (const char *) img, atoi((const char *) img + 15), log, sizeof log);
    else r = parse_ptx(m, (const char *) img, 0, log, sizeof log);
    if (r) {
        emu_log("%s failed: %s", name, log);
        fprintf(stderr, "emu: %s: %s\n", name, log);
        write_log(nopts, opts, vals, log, 1);
        for (int i = 0; i < m->nentries; i++) free(m->entries[i]);
        free(m);
        return r;
    }
    write_log(nopts, opts, vals, "emu: module loaded", 0);
    emu_track("module", 1);
    emu_lock();
    m->next = g_modules;
    g_modules = m;
    emu_unlock();
    *pmod = m;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuModuleLoadData(void **pmod, const void *image) {
    return module_load("cuModuleLoadData", pmod, image, 0, NULL, NULL);
}

EMU_EXPORT CUresult cuModuleLoadDataEx(void **pmod, const void *image, unsigned n, int *opts, void **vals) {
    if (n && (!opts || !vals)) return CUDA_ERROR_INVALID_VALUE;
    return module_load("cuModuleLoadDataEx", pmod, image, (int) n, opts, vals);
}

EMU_EXPORT CUresult cuModuleLoad(void **pmod, const char *fname) {
    if (!fname) return CUDA_ERROR_INVALID_VALUE;
    FILE *fp = fopen(fname, "rb");
    if (!fp) return CUDA_ERROR_FILE_NOT_FOUND;
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = calloc(1, (size_t) len + 1);
    size_t got = fread(buf, 1, (size_t) len, fp);
    fclose(fp);
    buf[got] = 0;
    CUresult r = module_load("cuModuleLoad", pmod, buf, 0, NULL, NULL);
    free(buf);
    return r;
}

static emu_module *module_arg(void *h) {
    emu_module *m = h;
    return m && m->magic == EMU_MAGIC_MODULE ? m : NULL;
}

EMU_EXPORT CUresult cuModuleUnload(void *h) {
    EMU_ENTER_OR_FAIL("cuModuleUnload");
    CUresult r = emu_require_ctx("cuModuleUnload", NULL);
    if (r) return r;
    emu_module *m = module_arg(h);
    if (!m) {
        emu_error("cuModuleUnload on an invalid or already unloaded module %p", h);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    m->magic = EMU_MAGIC_DEAD; /* its functions now fail with INVALID_HANDLE */
    emu_track("module", -1);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuModuleGetFunction(void **pfunc, void *h, const char *name) {
    EMU_ENTER_OR_FAIL("cuModuleGetFunction");
    CUresult r = emu_require_ctx("cuModuleGetFunction", NULL);
    if (r) return r;
    if (!pfunc || !name) return CUDA_ERROR_INVALID_VALUE;
    emu_module *m = module_arg(h);
    if (!m) {
        emu_error("cuModuleGetFunction(\"%s\") on an invalid or unloaded module %p", name, h);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    for (int i = 0; i < m->nentries; i++) {
        if (strcmp(m->entries[i], name) != 0) continue;
        if (!m->funcs[i]) {
            const emu_kernel_desc *k = emu_find_kernel(name);
            if (!k) {
                emu_error("kernel \"%s\" is in the module but the emulator has no host build of it "
                          "(is it an extern \"C\" __global__ function in src/main/cuda/*.cu?)", name);
                return CUDA_ERROR_NOT_FOUND;
            }
            emu_func *fn = calloc(1, sizeof *fn);
            fn->magic = EMU_MAGIC_FUNC;
            fn->module = m;
            fn->kernel = k;
            m->funcs[i] = fn;
        }
        *pfunc = m->funcs[i];
        return CUDA_SUCCESS;
    }
    return CUDA_ERROR_NOT_FOUND; /* the module does not provide that kernel */
}

static CUresult func_arg(const char *call, void *h, emu_func **out) {
    emu_func *fn = h;
    if (!fn || fn->magic != EMU_MAGIC_FUNC) {
        emu_error("%s with an invalid function handle %p", call, h);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    if (fn->module->magic != EMU_MAGIC_MODULE) {
        emu_error("%s: function %s belongs to a module that was unloaded", call, fn->kernel->name);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    *out = fn;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuFuncGetAttribute(int *value, int attrib, void *h) {
    EMU_ENTER_OR_FAIL("cuFuncGetAttribute");
    emu_func *fn;
    CUresult r = func_arg("cuFuncGetAttribute", h, &fn);
    if (r) return r;
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    switch (attrib) {
    case 0: *value = 1024; break;  /* MAX_THREADS_PER_BLOCK */
    case 4: *value = 32; break;    /* NUM_REGS */
    case 5: case 6: *value = 90; break; /* PTX_VERSION / BINARY_VERSION */
    default:
        if (attrib < 0 || attrib >= 16) return CUDA_ERROR_INVALID_VALUE;
        *value = 0;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuFuncSetAttribute(void *h, int attrib, int value) {
    EMU_ENTER_OR_FAIL("cuFuncSetAttribute");
    emu_func *fn;
    CUresult r = func_arg("cuFuncSetAttribute", h, &fn);
    (void) value;
    if (r) return r;
    return attrib >= 0 && attrib < 16 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EMU_EXPORT CUresult cuFuncSetCacheConfig(void *h, int config) {
    EMU_ENTER_OR_FAIL("cuFuncSetCacheConfig");
    emu_func *fn;
    (void) config;
    return func_arg("cuFuncSetCacheConfig", h, &fn);
}

EMU_EXPORT CUresult cuFuncGetModule(void **pmod, void *h) {
    EMU_ENTER_OR_FAIL("cuFuncGetModule");
    emu_func *fn;
    CUresult r = func_arg("cuFuncGetModule", h, &fn);
    if (r) return r;
    if (!pmod) return CUDA_ERROR_INVALID_VALUE;
    *pmod = fn->module;
    return CUDA_SUCCESS;
}

/* ---- launch ----------------------------------------------------------------------------------- */

#define MAX_PARAMS 32
typedef struct {
    const emu_kernel_desc *k;
    emu_dim3 grid, block;
    int nparams;
    int offset[MAX_PARAMS];
    unsigned char args[MAX_PARAMS * 8]; /* argument values, copied at the launch as the driver does */
} launch_work;

static size_t kind_size(char k) { return k == 'i' || k == 'f' ? 4 : 8; }

static int run_launch(void *payload) {
    launch_work *w = payload;
    void *argv[MAX_PARAMS];
    for (int i = 0; i < w->nparams; i++) {
        argv[i] = &w->args[w->offset[i]];
        if (w->k->kinds[i] != 'p') continue;
        uintptr_t p;
        memcpy(&p, argv[i], sizeof p);
        /* A pointer argument must point into a live allocation (NULL is allowed: optional inputs). */
        if (p && emu_check_range((const void *) p, 0, EMU_MEM_DEVICE | EMU_MEM_HOST, w->k->name)) {
            emu_error("kernel %s: pointer argument %d is not inside a live allocation (CUDA_ERROR_ILLEGAL_ADDRESS)",
                      w->k->name, i);
            emu_ctx_set_sticky(emu_current_ctx(), CUDA_ERROR_ILLEGAL_ADDRESS);
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        }
    }
    char label[128];
    snprintf(label, sizeof label, "kernel:%s", w->k->name);
    int f = emu_enter(label); /* counts runs per kernel; a fault injected on "kernel:NAME" fails it */
    if (f) return f;
    w->k->run(argv, w->grid, w->block);
    char after[128];
    snprintf(after, sizeof after, "kernel %s", w->k->name);
    if (emu_check_guards(after)) {
        emu_ctx_set_sticky(emu_current_ctx(), CUDA_ERROR_ILLEGAL_ADDRESS);
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuLaunchKernel(void *h, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
                                   unsigned bz, unsigned shmem, void *stream, void **params, void **extra) {
    int f = emu_enter("cuLaunchKernel");
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx("cuLaunchKernel", &ctx);
    if (r) return r;
    emu_func *fn;
    if ((r = func_arg("cuLaunchKernel", h, &fn))) return r;
    const emu_kernel_desc *k = fn->kernel;
    /* Limits of compute capability 9.0. */
    if (gx == 0 || gy == 0 || gz == 0 || gx > 2147483647u || gy > 65535 || gz > 65535) {
        emu_error("cuLaunchKernel(%s): invalid grid %ux%ux%u", k->name, gx, gy, gz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (bx == 0 || by == 0 || bz == 0 || bx > 1024 || by > 1024 || bz > 64 ||
        (unsigned long long) bx * by * bz > 1024) {
        emu_error("cuLaunchKernel(%s): invalid block %ux%ux%u (at most 1024 threads)", k->name, bx, by, bz);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (shmem > 49152) return CUDA_ERROR_INVALID_VALUE;
    if (extra) {
        emu_error("cuLaunchKernel(%s): the 'extra' argument buffer form is not emulated; pass kernelParams", k->name);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    int np = (int) strlen(k->kinds);
    if (np > 0 && !params) {
        emu_error("cuLaunchKernel(%s): kernel takes %d parameter(s) but kernelParams is NULL", k->name, np);
        return CUDA_ERROR_INVALID_VALUE;
    }
    launch_work w;
    memset(&w, 0, sizeof w);
    w.k = k;
    w.grid = (emu_dim3){gx, gy, gz};
    w.block = (emu_dim3){bx, by, bz};
    w.nparams = np;
    size_t off = 0;
    for (int i = 0; i < np; i++) {
        size_t sz = kind_size(k->kinds[i]);
        off = (off + sz - 1) / sz * sz;
        if (!params[i]) {
            emu_error("cuLaunchKernel(%s): kernelParams[%d] is NULL", k->name, i);
            return CUDA_ERROR_INVALID_VALUE;
        }
        memcpy(&w.args[off], params[i], sz);
        w.offset[i] = (int) off;
        off += sz;
    }
    emu_stream *s;
    if ((r = emu_resolve_stream(stream, ctx, &s))) return r;
    return emu_submit(s, k->name, run_launch, &w, sizeof w);
}

/* For the emulated NVRTC: the .cu file a host-built kernel came from, or NULL. */
EMU_EXPORT const char *emu_kernel_source(const char *name) {
    const emu_kernel_desc *k = emu_find_kernel(name);
    return k ? k->source : NULL;
}
