/*
 * conv.c - convolution forward, convolution+bias+activation, backward data (the transposed
 * convolution), and the algorithm/workspace queries.
 *
 * Algorithms: the emulator computes every algorithm the same way (float32 accumulation), but models
 * which algorithms apply and how much workspace each needs, so that the caller's algorithm choice and
 * workspace handling are exercised:
 *   forward   IMPLICIT_GEMM (no workspace), IMPLICIT_PRECOMP_GEMM (small), GEMM (im2col buffer),
 *             FFT / FFT_TILING (stride 1, no dilation, 1 group; large), WINOGRAD (3x3 stride 1; none),
 *             WINOGRAD_NONFUSED (3x3 or 5x5 stride 1; large). DIRECT is never supported (cuDNN does
 *             not implement it).
 *   backward  ALGO_0, ALGO_1, FFT, FFT_TILING, WINOGRAD, WINOGRAD_NONFUSED with the same pattern.
 * The byte counts are the emulator's own formulas, not cuDNN's. Before computing, the emulator
 * overwrites the workspace bytes it claimed, so a workspace that aliases live data is noticed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cudnn_emu.h"

typedef struct {
    int algo;
    int status;
    float time;
    size_t memory;
    int determinism;
    int mathType;
    int reserved[3];
} algo_perf;
_Static_assert(sizeof(algo_perf) == 48, "cudnnConvolutionFwdAlgoPerf_t is 48 bytes");

/* ---- algorithm model -------------------------------------------------------------------------- */

typedef struct { long n, c, h, w, k, r, s, oh, ow, groups; int unit_stride, no_dil; } shape;

static shape shape_of(const tensor_desc *x, const filter_desc *w, const conv_desc *c, const int out[4]) {
    shape s = {x->dim[0], x->dim[1], x->dim[2], x->dim[3], w->dim[0], w->dim[2], w->dim[3], out[2], out[3],
               c->groups, c->stride[0] == 1 && c->stride[1] == 1, c->dil[0] == 1 && c->dil[1] == 1};
    return s;
}

/* Returns 1 and the workspace bytes when `algo` applies to the shape. */
static int fwd_algo(int algo, const shape *s, size_t *bytes) {
    long cg = s->c / s->groups;
    int fft_ok = s->unit_stride && s->no_dil && s->groups == 1 && s->r <= 32 && s->s <= 32;
    switch (algo) {
    case CUDNN_FWD_IMPLICIT_GEMM: *bytes = 0; return 1;
    case CUDNN_FWD_IMPLICIT_PRECOMP_GEMM: *bytes = (size_t) (cg * s->r * s->s) * 8 + 256; return 1;
    case CUDNN_FWD_GEMM: *bytes = (size_t) (cg * s->r * s->s * s->oh * s->ow) * 4; return 1;
    case CUDNN_FWD_FFT:
        *bytes = (size_t) ((s->n * s->c + s->k * s->c + s->n * s->k) * (s->h + s->r) * (s->w + s->s)) * 8;
        return fft_ok;
    case CUDNN_FWD_FFT_TILING: *bytes = (size_t) ((s->n * s->c + s->k * s->c + s->n * s->k) * 32 * 32) * 8; return fft_ok;
    case CUDNN_FWD_WINOGRAD:
        *bytes = 0;
        return s->unit_stride && s->no_dil && s->r == 3 && s->s == 3 && s->groups == 1;
    case CUDNN_FWD_WINOGRAD_NONFUSED:
        *bytes = (size_t) ((s->n * s->c + s->k * s->c + s->n * s->k) * 36 * ((s->oh + 3) / 4) * ((s->ow + 3) / 4)) * 4;
        return s->unit_stride && s->no_dil && s->r == s->s && (s->r == 3 || s->r == 5) && s->groups == 1;
    default: *bytes = 0; return 0; /* DIRECT and out-of-range values */
    }
}

static int bwd_algo(int algo, const shape *s, size_t *bytes) {
    long cg = s->c / s->groups;
    int fft_ok = s->unit_stride && s->no_dil && s->groups == 1;
    switch (algo) {
    case CUDNN_BWD_DATA_ALGO_0: *bytes = 0; return 1;
    case CUDNN_BWD_DATA_ALGO_1: *bytes = (size_t) (cg * s->r * s->s) * 16 + 512; return 1;
    case CUDNN_BWD_DATA_FFT:
        *bytes = (size_t) ((s->n * s->c + s->k * s->c + s->n * s->k) * (s->h + s->r) * (s->w + s->s)) * 8;
        return fft_ok;
    case CUDNN_BWD_DATA_FFT_TILING: *bytes = (size_t) ((s->n * s->c + s->k * s->c + s->n * s->k) * 1024) * 8; return fft_ok;
    case CUDNN_BWD_DATA_WINOGRAD: *bytes = 0; return s->unit_stride && s->no_dil && s->r == 3 && s->s == 3 && s->groups == 1;
    case CUDNN_BWD_DATA_WINOGRAD_NONFUSED:
        *bytes = (size_t) ((s->n * s->c + s->k * s->c + s->n * s->k) * 36 * ((s->h + 3) / 4) * ((s->w + 3) / 4)) * 4;
        return s->unit_stride && s->no_dil && s->r == s->s && (s->r == 3 || s->r == 5) && s->groups == 1;
    default: *bytes = 0; return 0;
    }
}

/* Heuristic order: "fastest" first, as cuDNN ranks its results; unsupported entries come last. */
static const int FWD_ORDER[8] = {CUDNN_FWD_WINOGRAD_NONFUSED, CUDNN_FWD_IMPLICIT_PRECOMP_GEMM, CUDNN_FWD_FFT_TILING,
                                 CUDNN_FWD_GEMM, CUDNN_FWD_IMPLICIT_GEMM, CUDNN_FWD_WINOGRAD, CUDNN_FWD_FFT,
                                 CUDNN_FWD_DIRECT};
static const int BWD_ORDER[6] = {CUDNN_BWD_DATA_WINOGRAD_NONFUSED, CUDNN_BWD_DATA_ALGO_1, CUDNN_BWD_DATA_FFT_TILING,
                                 CUDNN_BWD_DATA_ALGO_0, CUDNN_BWD_DATA_WINOGRAD, CUDNN_BWD_DATA_FFT};

static void fill_perf(int backward, const shape *s, int math, int measured, size_t ws_limit, int requested,
                      int *returned, algo_perf *perf) {
    int count = backward ? 6 : 8, n = 0;
    const int *order = backward ? BWD_ORDER : FWD_ORDER;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < count && n < requested; i++) {
            size_t bytes;
            int ok = backward ? bwd_algo(order[i], s, &bytes) : fwd_algo(order[i], s, &bytes);
            if (ok != (pass == 0)) continue;
            algo_perf *p = &perf[n];
            memset(p, 0, sizeof *p);
            p->algo = order[i];
            p->mathType = math;
            p->determinism = backward && order[i] == CUDNN_BWD_DATA_ALGO_0 ? 0 : 1; /* ALGO_0 uses atomics */
            if (!ok) {
                p->status = dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, NULL);
                p->time = -1.0f;
                p->memory = 0;
            } else if (bytes > ws_limit) {
                p->status = dnn_ret(CUDNN_STATUS_ALLOC_FAILED, NULL); /* FindEx: workspace too small */
                p->time = -1.0f;
                p->memory = bytes;
            } else {
                p->status = 0;
                p->time = measured ? 0.05f * (float) (n + 1) : -1.0f;
                p->memory = bytes;
            }
            n++;
        }
    *returned = n;
}

/* ---- the operations --------------------------------------------------------------------------- */

enum { OP_FWD, OP_FWD_BIAS_ACT, OP_BWD_DATA };

typedef struct {
    int op;
    char call[48];
    tensor_desc x, y, z, b; /* OP_BWD_DATA: x = dy (input), y = dx (output) */
    filter_desc w;
    conv_desc c;
    act_desc act;
    const float *xp, *wp, *zp, *bp;
    float *yp;
    void *ws;
    size_t ws_needed;
    float alpha, alpha2, beta;
} conv_work;

static long ceil_div(long a, long b) { return (a + b - 1) / b; }

/* Valid output columns [lo, hi) for which input column ox*stride + off lies in [0, width). */
static void col_range(long off, long stride, long width, long ow, long *lo, long *hi) {
    *lo = off >= 0 ? 0 : ceil_div(-off, stride);
    *hi = width - 1 - off < 0 ? 0 : (width - 1 - off) / stride + 1;
    if (*hi > ow) *hi = ow;
}

static int recheck(const conv_work *w) {
    /* A captured operation may run after its buffers were freed: check again at execution time. */
    size_t xb = tensor_bytes(&w->x), yb = tensor_bytes(&w->y), wb = filter_bytes(&w->w);
    if (dev_ok(w->xp, xb, w->call, "x") || dev_ok(w->wp, wb, w->call, "w") || dev_ok(w->yp, yb, w->call, "y"))
        return CUDNN_STATUS_EXECUTION_FAILED;
    if (w->op == OP_FWD_BIAS_ACT &&
        (dev_ok(w->bp, tensor_bytes(&w->b), w->call, "bias") || (w->zp && dev_ok(w->zp, tensor_bytes(&w->z), w->call, "z"))))
        return CUDNN_STATUS_EXECUTION_FAILED;
    if (w->ws_needed && dev_ok(w->ws, w->ws_needed, w->call, "workspace")) return CUDNN_STATUS_EXECUTION_FAILED;
    return 0;
}

static int run_forward(void *payload) {
    const conv_work *w = payload;
    int st = recheck(w);
    if (st) return st;
    if (w->ws_needed) memset(w->ws, 0xAB, w->ws_needed);
    const tensor_desc *x = &w->x, *y = &w->y;
    long ws[4];
    filter_strides(&w->w, ws);
    long N = x->dim[0], H = x->dim[2], W = x->dim[3];
    long K = w->w.dim[0], Cg = w->w.dim[1], R = w->w.dim[2], S = w->w.dim[3];
    long OH = y->dim[2], OW = y->dim[3], G = w->c.groups, Kg = K / G;
    long sh = w->c.stride[0], sw = w->c.stride[1], ph = w->c.pad[0], pw = w->c.pad[1];
    long dh = w->c.dil[0], dw = w->c.dil[1];
    int flip = w->c.mode == CUDNN_CONVOLUTION;
    float *acc = malloc((size_t) (OH * OW) * sizeof *acc);
    if (!acc) return CUDNN_STATUS_ALLOC_FAILED;
    for (long n = 0; n < N; n++)
        for (long k = 0; k < K; k++) {
            long g = k / Kg;
            memset(acc, 0, (size_t) (OH * OW) * sizeof *acc);
            for (long cg = 0; cg < Cg; cg++) {
                const float *xplane = w->xp + n * x->stride[0] + (g * Cg + cg) * x->stride[1];
                for (long r = 0; r < R; r++)
                    for (long s = 0; s < S; s++) {
                        long rr = flip ? R - 1 - r : r, ss = flip ? S - 1 - s : s;
                        float wv = w->wp[k * ws[0] + cg * ws[1] + rr * ws[2] + ss * ws[3]];
                        long off = s * dw - pw, lo, hi;
                        col_range(off, sw, W, OW, &lo, &hi);
                        for (long oy = 0; oy < OH; oy++) {
                            long iy = oy * sh - ph + r * dh;
                            if (iy < 0 || iy >= H) continue;
                            const float *row = xplane + iy * x->stride[2];
                            float *a = acc + oy * OW;
                            long xs = x->stride[3];
                            if (xs == 1 && sw == 1)
                                for (long ox = lo; ox < hi; ox++) a[ox] += wv * row[ox + off];
                            else
                                for (long ox = lo; ox < hi; ox++) a[ox] += wv * row[(ox * sw + off) * xs];
                        }
                    }
            }
            float bias = w->op == OP_FWD_BIAS_ACT ? w->bp[k * w->b.stride[1]] : 0.0f;
            for (long oy = 0; oy < OH; oy++)
                for (long ox = 0; ox < OW; ox++) {
                    long yi = n * y->stride[0] + k * y->stride[1] + oy * y->stride[2] + ox * y->stride[3];
                    float v = w->alpha * acc[oy * OW + ox];
                    if (w->op == OP_FWD) {
                        /* cuDNN blending: with beta == 0 the output is not read (it may hold NaN garbage). */
                        w->yp[yi] = w->beta != 0.0f ? v + w->beta * w->yp[yi] : v;
                    } else {
                        if (w->zp && w->alpha2 != 0.0f) {
                            long zi = n * w->z.stride[0] + k * w->z.stride[1] + oy * w->z.stride[2] + ox * w->z.stride[3];
                            v += w->alpha2 * w->zp[zi];
                        }
                        v += bias;
                        if (w->act.mode == CUDNN_ACTIVATION_RELU) v = v > 0.0f ? v : (v != v && w->act.nan ? v : 0.0f);
                        w->yp[yi] = v;
                    }
                }
        }
    free(acc);
    return 0;
}

static int run_backward_data(void *payload) {
    const conv_work *w = payload;
    int st = recheck(w);
    if (st) return st;
    if (w->ws_needed) memset(w->ws, 0xAB, w->ws_needed);
    const tensor_desc *dy = &w->x, *dx = &w->y;
    long ws[4];
    filter_strides(&w->w, ws);
    long N = dx->dim[0], H = dx->dim[2], W = dx->dim[3];
    long K = w->w.dim[0], Cg = w->w.dim[1], R = w->w.dim[2], S = w->w.dim[3];
    long OH = dy->dim[2], OW = dy->dim[3], G = w->c.groups, Kg = K / G;
    long sh = w->c.stride[0], sw = w->c.stride[1], ph = w->c.pad[0], pw = w->c.pad[1];
    long dh = w->c.dil[0], dw = w->c.dil[1];
    int flip = w->c.mode == CUDNN_CONVOLUTION;
    float *acc = malloc((size_t) (H * W) * sizeof *acc);
    if (!acc) return CUDNN_STATUS_ALLOC_FAILED;
    for (long n = 0; n < N; n++)
        for (long c = 0; c < G * Cg; c++) {
            long g = c / Cg, cg = c % Cg;
            memset(acc, 0, (size_t) (H * W) * sizeof *acc);
            for (long kk = 0; kk < Kg; kk++) {
                long k = g * Kg + kk;
                const float *dplane = w->xp + n * dy->stride[0] + k * dy->stride[1];
                for (long r = 0; r < R; r++)
                    for (long s = 0; s < S; s++) {
                        long rr = flip ? R - 1 - r : r, ss = flip ? S - 1 - s : s;
                        float wv = w->wp[k * ws[0] + cg * ws[1] + rr * ws[2] + ss * ws[3]];
                        long off = s * dw - pw, lo, hi;
                        col_range(off, sw, W, OW, &lo, &hi);
                        for (long oy = 0; oy < OH; oy++) {
                            long iy = oy * sh - ph + r * dh;
                            if (iy < 0 || iy >= H) continue;
                            const float *drow = dplane + oy * dy->stride[2];
                            float *a = acc + iy * W;
                            for (long ox = lo; ox < hi; ox++) a[ox * sw + off] += wv * drow[ox * dy->stride[3]];
                        }
                    }
            }
            for (long iy = 0; iy < H; iy++)
                for (long ix = 0; ix < W; ix++) {
                    long i = n * dx->stride[0] + c * dx->stride[1] + iy * dx->stride[2] + ix * dx->stride[3];
                    float v = w->alpha * acc[iy * W + ix];
                    w->yp[i] = w->beta != 0.0f ? v + w->beta * w->yp[i] : v;
                }
        }
    free(acc);
    return 0;
}

/* Common validation of x/w/conv/y for forward-direction shapes. */
static cudnnStatus_t check_fwd_shapes(const tensor_desc *x, const filter_desc *w, const conv_desc *c,
                                      const tensor_desc *y, const char *call, shape *s) {
    int out[4];
    cudnnStatus_t st = conv_out_dims(c, x, w, out, call);
    if (st) return st;
    if ((st = tensor_ok(y, call, "output"))) return st;
    if (y->nb != 4 || y->dim[0] != out[0] || y->dim[1] != out[1] || y->dim[2] != out[2] || y->dim[3] != out[3])
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: output descriptor %dx%dx%dx%d, convolution gives %dx%dx%dx%d", call,
                       y->dim[0], y->dim[1], y->dim[2], y->dim[3], out[0], out[1], out[2], out[3]);
    if (y->dtype != x->dtype) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: input and output data types differ", call);
    *s = shape_of(x, w, c, out);
    return 0;
}

static cudnnStatus_t check_workspace(int backward, int algo, const shape *s, void *ws, size_t size, const char *call,
                                     size_t *needed) {
    int ok = backward ? bwd_algo(algo, s, needed) : fwd_algo(algo, s, needed);
    if (!ok) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: algorithm %d does not support this configuration", call, algo);
    if (size < *needed) {
        emu_error("%s: algorithm %d needs %zu workspace bytes but %zu were passed", call, algo, *needed, size);
        /* UNCONFIRMED which status real cuDNN gives here; BAD_PARAM per the "insufficient workspace"
         * wording of the legacy docs. */
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: workspace too small", call);
    }
    if (*needed && !ws) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: workspace is NULL but %zu bytes are needed", call, *needed);
    if (size && ws && emu_check_range(ws, size, EMU_MEM_DEVICE, "workspace")) {
        emu_error("%s: workspace pointer/size (%zu bytes) is not a valid device buffer", call, size);
        return dnn_ret(CUDNN_STATUS_EXECUTION_FAILED, "%s: bad workspace", call);
    }
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnConvolutionForward(cudnn_handle *h, const void *alpha, const tensor_desc *xd, const void *x,
                                                 const filter_desc *wd, const void *w, const conv_desc *cd, int algo,
                                                 void *ws, size_t ws_size, const void *beta, const tensor_desc *yd,
                                                 void *y) {
    const char *call = "cudnnConvolutionForward";
    int f = dnn_enter(call);
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, call);
    if (st) return st;
    shape s;
    if ((st = check_fwd_shapes(xd, wd, cd, yd, call, &s))) return st;
    if (!alpha || !beta) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: alpha/beta NULL", call);
    if ((st = float_only(xd->dtype, call))) return st;
    conv_work wk;
    memset(&wk, 0, sizeof wk);
    if ((st = check_workspace(0, algo, &s, ws, ws_size, call, &wk.ws_needed))) return st;
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(w, filter_bytes(wd), call, "w")) ||
        (st = dev_ok(y, tensor_bytes(yd), call, "y")))
        return st;
    wk.op = OP_FWD;
    snprintf(wk.call, sizeof wk.call, "%s", call);
    wk.x = *xd; wk.y = *yd; wk.w = *wd; wk.c = *cd;
    wk.xp = x; wk.wp = w; wk.yp = y; wk.ws = ws;
    wk.alpha = *(const float *) alpha;
    wk.beta = *(const float *) beta;
    return dnn_submit(h, call, run_forward, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnConvolutionBiasActivationForward(
    cudnn_handle *h, const void *alpha1, const tensor_desc *xd, const void *x, const filter_desc *wd, const void *w,
    const conv_desc *cd, int algo, void *ws, size_t ws_size, const void *alpha2, const tensor_desc *zd, const void *z,
    const tensor_desc *bd, const void *bias, const act_desc *ad, const tensor_desc *yd, void *y) {
    const char *call = "cudnnConvolutionBiasActivationForward";
    int f = dnn_enter(call);
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, call);
    if (st) return st;
    shape s;
    if ((st = check_fwd_shapes(xd, wd, cd, yd, call, &s))) return st;
    if (!alpha1 || !alpha2) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: alpha1/alpha2 NULL", call);
    if (!ad || ad->magic != MAGIC_ACT || !ad->set) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: activation descriptor", call);
    if ((st = tensor_ok(zd, call, "z")) || (st = tensor_ok(bd, call, "bias"))) return st;
    if (!same_dims(zd, yd)) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: z and y dimensions differ", call);
    if (bd->nb != 4 || bd->dim[0] != 1 || bd->dim[1] != yd->dim[1] || bd->dim[2] != 1 || bd->dim[3] != 1)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: bias must be 1x%dx1x1", call, yd->dim[1]);
    /* Documented restrictions of this fused call (cuDNN API reference, "Returns: NOT_SUPPORTED"). */
    if (ad->mode != CUDNN_ACTIVATION_RELU && ad->mode != CUDNN_ACTIVATION_IDENTITY)
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: activation mode %d (only RELU or IDENTITY)", call, ad->mode);
    if (ad->mode == CUDNN_ACTIVATION_IDENTITY && algo != CUDNN_FWD_IMPLICIT_PRECOMP_GEMM)
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: IDENTITY activation requires IMPLICIT_PRECOMP_GEMM (algo %d given)",
                       call, algo);
    if (ad->nan != CUDNN_NOT_PROPAGATE_NAN)
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: reluNanOpt must be CUDNN_NOT_PROPAGATE_NAN", call);
    if (bd->stride[1] != 1) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: bias channel stride must be 1", call);
    if ((st = float_only(xd->dtype, call))) return st;
    conv_work wk;
    memset(&wk, 0, sizeof wk);
    if ((st = check_workspace(0, algo, &s, ws, ws_size, call, &wk.ws_needed))) return st;
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(w, filter_bytes(wd), call, "w")) ||
        (st = dev_ok(y, tensor_bytes(yd), call, "y")) || (st = dev_ok(bias, tensor_bytes(bd), call, "bias")))
        return st;
    float a2 = *(const float *) alpha2;
    if (a2 != 0.0f && (st = dev_ok(z, tensor_bytes(zd), call, "z"))) return st;
    wk.op = OP_FWD_BIAS_ACT;
    snprintf(wk.call, sizeof wk.call, "%s", call);
    wk.x = *xd; wk.y = *yd; wk.z = *zd; wk.b = *bd; wk.w = *wd; wk.c = *cd; wk.act = *ad;
    wk.xp = x; wk.wp = w; wk.yp = y; wk.zp = a2 != 0.0f ? z : NULL; wk.bp = bias; wk.ws = ws;
    wk.alpha = *(const float *) alpha1;
    wk.alpha2 = a2;
    return dnn_submit(h, call, run_forward, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnn_handle *h, int *count) {
    int f = dnn_enter("cudnnGetConvolutionForwardAlgorithmMaxCount");
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, "cudnnGetConvolutionForwardAlgorithmMaxCount");
    if (st) return st;
    if (!count) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    *count = CUDNN_FWD_COUNT;
    return 0;
}

/*
 * The algorithm queries of both directions. in/out are the forward convolution's input and output:
 * x and y forward, dx and dy for backward data (dy is what convolving dx with w gives).
 */
static cudnnStatus_t algo_query(const char *call, int bwd, cudnn_handle *h, const tensor_desc *in, const filter_desc *wd,
                                const conv_desc *cd, const tensor_desc *out, int requested, int *returned,
                                algo_perf *perf, int measured, size_t ws_limit) {
    int f = dnn_enter(call);
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, call);
    if (st) return st;
    shape s;
    if ((st = check_fwd_shapes(in, wd, cd, out, call, &s))) return st;
    if (requested < 1 || !returned || !perf) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: requestedAlgoCount %d", call, requested);
    fill_perf(bwd, &s, cd->math, measured, ws_limit, requested, returned, perf);
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnn_handle *h, const tensor_desc *xd, const filter_desc *wd,
                                                                const conv_desc *cd, const tensor_desc *yd, int requested,
                                                                int *returned, algo_perf *perf) {
    return algo_query("cudnnGetConvolutionForwardAlgorithm_v7", 0, h, xd, wd, cd, yd, requested, returned, perf, 0, (size_t) -1);
}

EMU_EXPORT cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnn_handle *h, const tensor_desc *xd, const filter_desc *wd,
                                                              const conv_desc *cd, const tensor_desc *yd, int requested,
                                                              int *returned, algo_perf *perf) {
    cudnnStatus_t st = emu_stream_check(h && h->magic == MAGIC_HANDLE ? h->stream : NULL) ? CUDNN_STATUS_BAD_PARAM : 0;
    if (st) return dnn_ret(st, NULL);
    return algo_query("cudnnFindConvolutionForwardAlgorithm", 0, h, xd, wd, cd, yd, requested, returned, perf, 1, (size_t) -1);
}

EMU_EXPORT cudnnStatus_t cudnnFindConvolutionForwardAlgorithmEx(cudnn_handle *h, const tensor_desc *xd, const void *x,
                                                                const filter_desc *wd, const void *w, const conv_desc *cd,
                                                                const tensor_desc *yd, void *y, int requested, int *returned,
                                                                algo_perf *perf, void *ws, size_t ws_size) {
    const char *call = "cudnnFindConvolutionForwardAlgorithmEx";
    cudnnStatus_t st = algo_query(call, 0, h, xd, wd, cd, yd, requested, returned, perf, 1, ws ? ws_size : 0);
    if (st) return st;
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(w, filter_bytes(wd), call, "w")) ||
        (st = dev_ok(y, tensor_bytes(yd), call, "y")))
        return st;
    if (ws && ws_size && emu_check_range(ws, ws_size, EMU_MEM_DEVICE, "workspace"))
        return dnn_ret(CUDNN_STATUS_EXECUTION_FAILED, "%s: bad workspace", call);
    memset(y, 0xAB, tensor_bytes(yd)); /* the trial runs overwrite y, as documented */
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnn_handle *h, const tensor_desc *xd, const filter_desc *wd,
                                                                 const conv_desc *cd, const tensor_desc *yd, int algo,
                                                                 size_t *size) {
    const char *call = "cudnnGetConvolutionForwardWorkspaceSize";
    int f = dnn_enter(call);
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, call);
    if (st) return st;
    shape s;
    if ((st = check_fwd_shapes(xd, wd, cd, yd, call, &s))) return st;
    if (!size) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    if (!fwd_algo(algo, &s, size)) {
        *size = 0;
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: algorithm %d does not support this configuration", call, algo);
    }
    return 0;
}

/* ---- backward data: dx = alpha * conv^T(dy, w) + beta * dx ------------------------------------ */

static cudnnStatus_t check_bwd_shapes(const filter_desc *wd, const tensor_desc *dyd, const conv_desc *cd,
                                      const tensor_desc *dxd, const char *call, shape *s) {
    /* dy must be exactly what the forward convolution of dx with w produces. */
    return check_fwd_shapes(dxd, wd, cd, dyd, call, s);
}

EMU_EXPORT cudnnStatus_t cudnnConvolutionBackwardData(cudnn_handle *h, const void *alpha, const filter_desc *wd,
                                                      const void *w, const tensor_desc *dyd, const void *dy,
                                                      const conv_desc *cd, int algo, void *ws, size_t ws_size,
                                                      const void *beta, const tensor_desc *dxd, void *dx) {
    const char *call = "cudnnConvolutionBackwardData";
    int f = dnn_enter(call);
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, call);
    if (st) return st;
    shape s;
    if ((st = check_bwd_shapes(wd, dyd, cd, dxd, call, &s))) return st;
    if (!alpha || !beta) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: alpha/beta NULL", call);
    if ((st = float_only(dxd->dtype, call))) return st;
    conv_work wk;
    memset(&wk, 0, sizeof wk);
    if ((st = check_workspace(1, algo, &s, ws, ws_size, call, &wk.ws_needed))) return st;
    if ((st = dev_ok(dy, tensor_bytes(dyd), call, "dy")) || (st = dev_ok(w, filter_bytes(wd), call, "w")) ||
        (st = dev_ok(dx, tensor_bytes(dxd), call, "dx")))
        return st;
    wk.op = OP_BWD_DATA;
    snprintf(wk.call, sizeof wk.call, "%s", call);
    wk.x = *dyd; wk.y = *dxd; wk.w = *wd; wk.c = *cd;
    wk.xp = dy; wk.wp = w; wk.yp = dx; wk.ws = ws;
    wk.alpha = *(const float *) alpha;
    wk.beta = *(const float *) beta;
    return dnn_submit(h, call, run_backward_data, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnn_handle *h, int *count) {
    int f = dnn_enter("cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, "cudnnGetConvolutionBackwardDataAlgorithmMaxCount");
    if (st) return st;
    if (!count) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    *count = CUDNN_BWD_DATA_COUNT;
    return 0;
}


EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnn_handle *h, const filter_desc *wd,
                                                                     const tensor_desc *dyd, const conv_desc *cd,
                                                                     const tensor_desc *dxd, int requested, int *returned,
                                                                     algo_perf *perf) {
    return algo_query("cudnnGetConvolutionBackwardDataAlgorithm_v7", 1, h, dxd, wd, cd, dyd, requested, returned, perf, 0,
                     (size_t) -1);
}

EMU_EXPORT cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnn_handle *h, const filter_desc *wd,
                                                                   const tensor_desc *dyd, const conv_desc *cd,
                                                                   const tensor_desc *dxd, int requested, int *returned,
                                                                   algo_perf *perf) {
    return algo_query("cudnnFindConvolutionBackwardDataAlgorithm", 1, h, dxd, wd, cd, dyd, requested, returned, perf, 1,
                     (size_t) -1);
}

EMU_EXPORT cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithmEx(cudnn_handle *h, const filter_desc *wd, const void *w,
                                                                     const tensor_desc *dyd, const void *dy,
                                                                     const conv_desc *cd, const tensor_desc *dxd, void *dx,
                                                                     int requested, int *returned, algo_perf *perf,
                                                                     void *ws, size_t ws_size) {
    const char *call = "cudnnFindConvolutionBackwardDataAlgorithmEx";
    cudnnStatus_t st = algo_query(call, 1, h, dxd, wd, cd, dyd, requested, returned, perf, 1, ws ? ws_size : 0);
    if (st) return st;
    if ((st = dev_ok(dy, tensor_bytes(dyd), call, "dy")) || (st = dev_ok(w, filter_bytes(wd), call, "w")) ||
        (st = dev_ok(dx, tensor_bytes(dxd), call, "dx")))
        return st;
    if (ws && ws_size && emu_check_range(ws, ws_size, EMU_MEM_DEVICE, "workspace"))
        return dnn_ret(CUDNN_STATUS_EXECUTION_FAILED, "%s: bad workspace", call);
    memset(dx, 0xAB, tensor_bytes(dxd));
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnn_handle *h, const filter_desc *wd,
                                                                      const tensor_desc *dyd, const conv_desc *cd,
                                                                      const tensor_desc *dxd, int algo, size_t *size) {
    const char *call = "cudnnGetConvolutionBackwardDataWorkspaceSize";
    int f = dnn_enter(call);
    if (f) return dnn_ret(f, NULL);
    cudnnStatus_t st = dnn_handle(h, call);
    if (st) return st;
    shape s;
    if ((st = check_bwd_shapes(wd, dyd, cd, dxd, call, &s))) return st;
    if (!size) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    if (!bwd_algo(algo, &s, size)) {
        *size = 0;
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: algorithm %d does not support this configuration", call, algo);
    }
    return 0;
}
