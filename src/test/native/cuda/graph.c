/*
 * graph.c - CUDA graphs as recorded lists of work items.
 *
 * A captured graph is the list of work items (kernel launches with their argument values, copies,
 * memsets, event records, cuDNN/cuBLAS operations) in capture order. Instantiation deep-copies the
 * list, as a CUgraphExec is independent of its CUgraph; a launch replays the items on a stream.
 * Every item re-validates its pointers when it runs, so a graph replayed after one of its buffers was
 * freed reports a use after free instead of silently reading stale memory.
 */
#include <stdlib.h>
#include <string.h>
#include "emu_cuda.h"

typedef struct emu_exec {
    uint32_t magic;
    emu_graph *g;
} emu_exec;

emu_graph *emu_graph_new(void) {
    emu_graph *g = calloc(1, sizeof *g);
    g->magic = EMU_MAGIC_GRAPH;
    return g;
}

CUresult emu_graph_append(emu_graph *g, const char *name, emu_work_fn fn, const void *payload, size_t size) {
    if (g->count == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 32;
        g->nodes = realloc(g->nodes, (size_t) g->cap * sizeof *g->nodes);
    }
    emu_node *n = &g->nodes[g->count++];
    n->name = name;
    n->fn = fn;
    n->size = size;
    n->payload = malloc(size ? size : 1);
    memcpy(n->payload, payload, size);
    return CUDA_SUCCESS;
}

void emu_graph_free(emu_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->count; i++) free(g->nodes[i].payload);
    free(g->nodes);
    g->magic = EMU_MAGIC_DEAD;
    /* the header is kept so that a stale handle is recognised */
}

static emu_graph *graph_copy(const emu_graph *src) {
    emu_graph *g = emu_graph_new();
    for (int i = 0; i < src->count; i++)
        emu_graph_append(g, src->nodes[i].name, src->nodes[i].fn, src->nodes[i].payload, src->nodes[i].size);
    return g;
}

EMU_EXPORT CUresult cuGraphCreate(void **pgraph, unsigned flags) {
    EMU_ENTER_OR_FAIL("cuGraphCreate");
    CUresult r = emu_require_ctx("cuGraphCreate", NULL);
    if (r) return r;
    if (!pgraph || flags) return CUDA_ERROR_INVALID_VALUE;
    *pgraph = emu_graph_new();
    emu_track("graph", 1);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphDestroy(void *graph) {
    EMU_ENTER_OR_FAIL("cuGraphDestroy");
    emu_graph *g = graph;
    if (!g || g->magic != EMU_MAGIC_GRAPH) {
        emu_error("cuGraphDestroy on an invalid or already destroyed graph %p", graph);
        return CUDA_ERROR_INVALID_VALUE;
    }
    emu_graph_free(g);
    emu_track("graph", -1);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphGetNodes(void *graph, void **nodes, size_t *count) {
    EMU_ENTER_OR_FAIL("cuGraphGetNodes");
    emu_graph *g = graph;
    if (!g || g->magic != EMU_MAGIC_GRAPH || !count) return CUDA_ERROR_INVALID_VALUE;
    if (nodes) /* node handles are opaque; the emulator hands out pointers to its node records */
        for (size_t i = 0; i < *count && i < (size_t) g->count; i++) nodes[i] = &g->nodes[i];
    *count = (size_t) g->count;
    return CUDA_SUCCESS;
}

static CUresult instantiate(const char *name, void **pexec, void *graph) {
    int f = emu_enter(name);
    if (f) return f;
    CUresult r = emu_require_ctx(name, NULL);
    if (r) return r;
    emu_graph *g = graph;
    if (!pexec || !g || g->magic != EMU_MAGIC_GRAPH) {
        emu_error("%s with an invalid graph %p", name, graph);
        return CUDA_ERROR_INVALID_VALUE;
    }
    emu_exec *e = calloc(1, sizeof *e);
    e->magic = EMU_MAGIC_EXEC;
    e->g = graph_copy(g);
    emu_track("graphExec", 1);
    *pexec = e;
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphInstantiateWithFlags(void **pexec, void *graph, unsigned long long flags) {
    if (flags & ~0xfull) return CUDA_ERROR_INVALID_VALUE;
    return instantiate("cuGraphInstantiateWithFlags", pexec, graph);
}

/* CUDA 12 cuda.h maps cuGraphInstantiate to cuGraphInstantiateWithFlags. */
EMU_EXPORT CUresult cuGraphInstantiate(void **pexec, void *graph, unsigned long long flags) {
    return cuGraphInstantiateWithFlags(pexec, graph, flags);
}

EMU_EXPORT CUresult cuGraphExecDestroy(void *exec) {
    EMU_ENTER_OR_FAIL("cuGraphExecDestroy");
    emu_exec *e = exec;
    if (!e || e->magic != EMU_MAGIC_EXEC) {
        emu_error("cuGraphExecDestroy on an invalid or already destroyed graph exec %p", exec);
        return CUDA_ERROR_INVALID_VALUE;
    }
    emu_graph_free(e->g);
    e->magic = EMU_MAGIC_DEAD;
    emu_track("graphExec", -1);
    return CUDA_SUCCESS;
}

EMU_EXPORT CUresult cuGraphUpload(void *exec, void *stream) {
    EMU_ENTER_OR_FAIL("cuGraphUpload");
    emu_ctx *ctx;
    CUresult r = emu_require_ctx("cuGraphUpload", &ctx);
    if (r) return r;
    emu_stream *s;
    if ((r = emu_resolve_stream(stream, ctx, &s))) return r;
    emu_exec *e = exec;
    return e && e->magic == EMU_MAGIC_EXEC ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

EMU_EXPORT CUresult cuGraphLaunch(void *exec, void *stream) {
    int f = emu_enter("cuGraphLaunch");
    if (f) return f;
    emu_ctx *ctx;
    CUresult r = emu_require_ctx("cuGraphLaunch", &ctx);
    if (r) return r;
    emu_stream *s;
    if ((r = emu_resolve_stream(stream, ctx, &s))) return r;
    emu_exec *e = exec;
    if (!e || e->magic != EMU_MAGIC_EXEC) {
        emu_error("cuGraphLaunch with an invalid or destroyed graph exec %p", exec);
        return CUDA_ERROR_INVALID_VALUE;
    }
    for (int i = 0; i < e->g->count; i++) {
        emu_node *n = &e->g->nodes[i];
        r = emu_submit(s, n->name, n->fn, n->payload, n->size);
        if (r) {
            emu_error("graph node %d (%s) failed with %d", i, n->name, r);
            /* a cuDNN/cuBLAS node reports its own status; the launch reports a launch failure */
            return r < 1000 ? r : 719; /* CUDA_ERROR_LAUNCH_FAILED */
        }
    }
    return CUDA_SUCCESS;
}
