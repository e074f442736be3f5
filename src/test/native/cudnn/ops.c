/*
 * ops.c - element-wise and normalisation operations: add-tensor, op-tensor, activation, pooling,
 * batch-norm inference, normalisation inference, softmax, set-tensor.
 *
 * All follow cuDNN's blending rule  y = alpha * result + beta * y_prior  where a beta of exactly 0
 * means y is not read (it may hold uninitialised NaNs). Tensors are addressed through their strides,
 * so NHWC and strided (Ex/Nd) descriptors work too.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cudnn_emu.h"

enum { K_ADD, K_OPTENSOR, K_ACT, K_POOL, K_BN, K_NORM, K_SOFTMAX, K_SET };

typedef struct {
    int kind;
    char call[48];
    tensor_desc a, b, c, p;    /* inputs a, b; output c; p: per-channel parameter descriptor */
    const float *ap, *bp;
    float *cp;
    const float *scale, *bias, *mean, *var, *zp;
    float alpha, alpha2, beta;
    double eps;
    int mode, algo;
    act_desc act;
    optensor_desc opt;
    pool_desc pool;
} op_work;

static float blend(float v, float beta, const float *prior) { return beta != 0.0f ? v + beta * *prior : v; }

/* Offset of element idx of t; dimensions of size 1 broadcast (index 0). */
static long offset_of(const tensor_desc *t, const int *idx) {
    long o = 0;
    for (int i = 0; i < t->nb; i++) o += (long) (t->dim[i] == 1 ? 0 : idx[i]) * t->stride[i];
    return o;
}

static int next_index(const tensor_desc *t, int *idx) {
    for (int i = t->nb - 1; i >= 0; i--) {
        if (++idx[i] < t->dim[i]) return 1;
        idx[i] = 0;
    }
    return 0;
}

static float activate(const act_desc *a, float x) {
    int nan = x != x;
    switch (a->mode) {
    case CUDNN_ACTIVATION_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case CUDNN_ACTIVATION_RELU: return nan ? (a->nan ? x : 0.0f) : (x > 0.0f ? x : 0.0f);
    case CUDNN_ACTIVATION_TANH: return tanhf(x);
    case CUDNN_ACTIVATION_CLIPPED_RELU:
        if (nan) return a->nan ? x : 0.0f;
        return x < 0.0f ? 0.0f : (x > (float) a->coef ? (float) a->coef : x);
    case CUDNN_ACTIVATION_ELU: return x >= 0.0f ? x : (float) a->coef * (expf(x) - 1.0f);
    case CUDNN_ACTIVATION_SWISH: return x / (1.0f + expf(-(float) a->coef * x));
    default: return x;
    }
}

static int run_op(void *payload) {
    op_work *w = payload;
    int idx[DIM_MAX] = {0};
    const tensor_desc *c = &w->c;
    /* Re-validate at execution time (captured work may run after a free). */
    if (dev_ok(w->cp, tensor_bytes(c), w->call, "output")) return CUDNN_STATUS_EXECUTION_FAILED;
    if (w->ap && dev_ok(w->ap, tensor_bytes(&w->a), w->call, "input")) return CUDNN_STATUS_EXECUTION_FAILED;
    if (w->bp && dev_ok(w->bp, tensor_bytes(&w->b), w->call, "input B")) return CUDNN_STATUS_EXECUTION_FAILED;
    switch (w->kind) {
    case K_SET:
        do w->cp[offset_of(c, idx)] = w->alpha; while (next_index(c, idx));
        return 0;
    case K_ADD: /* C = alpha*A + beta*C, A broadcast */
        do {
            float *o = &w->cp[offset_of(c, idx)];
            *o = blend(w->alpha * w->ap[offset_of(&w->a, idx)], w->beta, o);
        } while (next_index(c, idx));
        return 0;
    case K_OPTENSOR: /* C = op(alpha1*A, alpha2*B) + beta*C */
        do {
            float *o = &w->cp[offset_of(c, idx)];
            float a = w->alpha * w->ap[offset_of(&w->a, idx)], r;
            float b = w->opt.op <= CUDNN_OP_TENSOR_MAX ? w->alpha2 * w->bp[offset_of(&w->b, idx)] : 0.0f;
            switch (w->opt.op) {
            case CUDNN_OP_TENSOR_ADD: r = a + b; break;
            case CUDNN_OP_TENSOR_MUL: r = a * b; break;
            case CUDNN_OP_TENSOR_MIN: r = fminf(a, b); break;
            case CUDNN_OP_TENSOR_MAX: r = fmaxf(a, b); break;
            case CUDNN_OP_TENSOR_SQRT: r = sqrtf(a); break;
            default: r = 1.0f - a; break; /* NOT */
            }
            *o = blend(r, w->beta, o);
        } while (next_index(c, idx));
        return 0;
    case K_ACT:
        do {
            float *o = &w->cp[offset_of(c, idx)];
            *o = blend(w->alpha * activate(&w->act, w->ap[offset_of(&w->a, idx)]), w->beta, o);
        } while (next_index(c, idx));
        return 0;
    case K_BN:
    case K_NORM: {
        /* y = alpha * (scale * (x - mean) / sqrt(var + eps) + bias) [+ z, activation] + beta * y */
        do {
            long pi = offset_of(&w->p, idx); /* broadcast over the dims where the parameter has size 1 */
            float x = w->ap[offset_of(&w->a, idx)];
            float v = (float) ((double) w->scale[pi] * ((double) x - w->mean[pi]) / sqrt((double) w->var[pi] + w->eps) +
                               w->bias[pi]);
            if (w->kind == K_NORM) {
                if (w->zp) v += w->zp[offset_of(&w->b, idx)];
                if (w->act.set) v = activate(&w->act, v);
            }
            float *o = &w->cp[offset_of(c, idx)];
            *o = blend(w->alpha * v, w->beta, o);
        } while (next_index(c, idx));
        return 0;
    }
    case K_SOFTMAX: {
        /* INSTANCE: over C*H*W per image; CHANNEL: over C per (n, h, w). */
        long n = c->dim[0], ch = c->dim[1], spatial = 1;
        for (int i = 2; i < c->nb; i++) spatial *= c->dim[i];
        long groups = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? n : n * spatial;
        long len = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? ch * spatial : ch;
        for (long g = 0; g < groups; g++) {
            double mx = -INFINITY, sum = 0;
            for (long j = 0; j < len; j++) {
                int id[DIM_MAX] = {0};
                long ni = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? g : g / spatial;
                long ci = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? j / spatial : j;
                long si = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? j % spatial : g % spatial;
                id[0] = (int) ni; id[1] = (int) ci;
                for (int d = c->nb - 1; d >= 2; d--) { id[d] = (int) (si % c->dim[d]); si /= c->dim[d]; }
                double v = w->ap[offset_of(&w->a, id)];
                if (w->algo == CUDNN_SOFTMAX_FAST) { sum += exp(v); continue; } /* no max subtraction */
                if (v > mx) mx = v;
            }
            if (w->algo != CUDNN_SOFTMAX_FAST)
                for (long j = 0; j < len; j++) {
                    int id[DIM_MAX] = {0};
                    long ni = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? g : g / spatial;
                    long ci = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? j / spatial : j;
                    long si = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? j % spatial : g % spatial;
                    id[0] = (int) ni; id[1] = (int) ci;
                    for (int d = c->nb - 1; d >= 2; d--) { id[d] = (int) (si % c->dim[d]); si /= c->dim[d]; }
                    sum += exp(w->ap[offset_of(&w->a, id)] - mx);
                }
            if (w->algo == CUDNN_SOFTMAX_FAST) mx = 0;
            for (long j = 0; j < len; j++) {
                int id[DIM_MAX] = {0};
                long ni = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? g : g / spatial;
                long ci = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? j / spatial : j;
                long si = w->mode == CUDNN_SOFTMAX_MODE_INSTANCE ? j % spatial : g % spatial;
                id[0] = (int) ni; id[1] = (int) ci;
                for (int d = c->nb - 1; d >= 2; d--) { id[d] = (int) (si % c->dim[d]); si /= c->dim[d]; }
                double v = w->ap[offset_of(&w->a, id)] - mx;
                float r = (float) (w->algo == CUDNN_SOFTMAX_LOG ? v - log(sum) : exp(v) / sum);
                float *o = &w->cp[offset_of(c, id)];
                *o = blend(w->alpha * r, w->beta, o);
            }
        }
        return 0;
    }
    case K_POOL: {
        const pool_desc *p = &w->pool;
        const tensor_desc *x = &w->a;
        long H = x->dim[2], W = x->dim[3];
        do {
            long oy = idx[2], ox = idx[3];
            long y0 = oy * p->stride[0] - p->pad[0], x0 = ox * p->stride[1] - p->pad[1];
            double acc = p->mode == CUDNN_POOLING_MAX || p->mode == CUDNN_POOLING_MAX_DETERMINISTIC ? -INFINITY : 0;
            long count = 0, padded = 0;
            int seen_nan = 0;
            for (long ky = 0; ky < p->win[0]; ky++)
                for (long kx = 0; kx < p->win[1]; kx++) {
                    long iy = y0 + ky, ix = x0 + kx;
                    /* positions inside the padded input count for INCLUDE_PADDING */
                    if (iy >= -p->pad[0] && iy < H + p->pad[0] && ix >= -p->pad[1] && ix < W + p->pad[1]) padded++;
                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    int id[DIM_MAX] = {idx[0], idx[1], (int) iy, (int) ix};
                    float v = w->ap[offset_of(x, id)];
                    count++;
                    if (v != v) seen_nan = 1;
                    if (p->mode == CUDNN_POOLING_MAX || p->mode == CUDNN_POOLING_MAX_DETERMINISTIC) {
                        if (v > acc) acc = v;
                    } else acc += v;
                }
            float r;
            if (p->mode == CUDNN_POOLING_MAX || p->mode == CUDNN_POOLING_MAX_DETERMINISTIC)
                r = seen_nan && p->nan ? NAN : (float) acc;
            else if (p->mode == CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING)
                r = (float) (acc / (double) (padded ? padded : 1));
            else
                r = (float) (acc / (double) (count ? count : 1));
            float *o = &w->cp[offset_of(c, idx)];
            *o = blend(w->alpha * r, w->beta, o);
        } while (next_index(c, idx));
        return 0;
    }
    }
    return CUDNN_STATUS_INTERNAL_ERROR;
}

/* Shared prologue: fault injection, handle, scalars. */
#define PROLOGUE(name)                                                       \
    const char *call = name;                                                 \
    int f_ = dnn_enter(call);                                                \
    if (f_) return dnn_ret(f_, NULL);                                        \
    cudnnStatus_t st = dnn_handle(h, call);                                  \
    if (st) return st;                                                       \
    op_work wk;                                                              \
    memset(&wk, 0, sizeof wk);                                               \
    snprintf(wk.call, sizeof wk.call, "%s", call)

static cudnnStatus_t scalars(op_work *wk, const void *alpha, const void *beta, const char *call) {
    if (!alpha || !beta) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: alpha/beta NULL", call);
    wk->alpha = *(const float *) alpha;
    wk->beta = *(const float *) beta;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnAddTensor(cudnn_handle *h, const void *alpha, const tensor_desc *ad, const void *a,
                                        const void *beta, const tensor_desc *cd, void *c) {
    PROLOGUE("cudnnAddTensor");
    if ((st = tensor_ok(ad, call, "A")) || (st = tensor_ok(cd, call, "C"))) return st;
    if (ad->nb != cd->nb || ad->dtype != cd->dtype)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: A and C rank or data type differ", call);
    if (cd->nb > 5) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: more than 5 dimensions", call);
    for (int i = 0; i < ad->nb; i++)
        if (ad->dim[i] != 1 && ad->dim[i] != cd->dim[i])
            return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: A dimension %d is %d, must be 1 or %d", call, i, ad->dim[i], cd->dim[i]);
    if ((st = float_only(cd->dtype, call)) || (st = scalars(&wk, alpha, beta, call))) return st;
    if ((st = dev_ok(a, tensor_bytes(ad), call, "A")) || (st = dev_ok(c, tensor_bytes(cd), call, "C"))) return st;
    wk.kind = K_ADD; wk.a = *ad; wk.c = *cd; wk.ap = a; wk.cp = c;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnOpTensor(cudnn_handle *h, const optensor_desc *od, const void *alpha1, const tensor_desc *ad,
                                       const void *a, const void *alpha2, const tensor_desc *bd, const void *b,
                                       const void *beta, const tensor_desc *cd, void *c) {
    PROLOGUE("cudnnOpTensor");
    if (!od || od->magic != MAGIC_OPT || !od->set) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: op-tensor descriptor", call);
    int unary = od->op == CUDNN_OP_TENSOR_SQRT || od->op == CUDNN_OP_TENSOR_NOT;
    if ((st = tensor_ok(ad, call, "A")) || (st = tensor_ok(cd, call, "C")) || (!unary && (st = tensor_ok(bd, call, "B"))))
        return st;
    if (!same_dims(ad, cd)) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: A must have the dimensions of C", call);
    if (!unary) {
        if (bd->nb != cd->nb) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: B rank differs from C", call);
        for (int i = 0; i < bd->nb; i++)
            if (bd->dim[i] != 1 && bd->dim[i] != cd->dim[i])
                return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: B dimension %d is %d, must be 1 or %d", call, i, bd->dim[i], cd->dim[i]);
    }
    if (cd->nb > 5) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: more than 5 dimensions", call);
    if (ad->dtype != cd->dtype || (!unary && bd->dtype != cd->dtype))
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: data type combination", call);
    if (od->comp != CUDNN_DATA_FLOAT && od->comp != CUDNN_DATA_DOUBLE)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: opTensorCompType %d for FLOAT tensors", call, od->comp);
    if ((st = float_only(cd->dtype, call)) || (st = scalars(&wk, alpha1, beta, call))) return st;
    if (!alpha2) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: alpha2 NULL", call);
    wk.alpha2 = *(const float *) alpha2;
    if ((st = dev_ok(a, tensor_bytes(ad), call, "A")) || (st = dev_ok(c, tensor_bytes(cd), call, "C")) ||
        (!unary && (st = dev_ok(b, tensor_bytes(bd), call, "B"))))
        return st;
    wk.kind = K_OPTENSOR; wk.opt = *od; wk.a = *ad; wk.c = *cd; wk.ap = a; wk.cp = c;
    if (!unary) { wk.b = *bd; wk.bp = b; }
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnActivationForward(cudnn_handle *h, const act_desc *actd, const void *alpha,
                                                const tensor_desc *xd, const void *x, const void *beta,
                                                const tensor_desc *yd, void *y) {
    PROLOGUE("cudnnActivationForward");
    if (!actd || actd->magic != MAGIC_ACT || !actd->set)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: activation descriptor", call);
    /* IDENTITY exists only for cudnnConvolutionBiasActivationForward ("does not work with
     * cudnnActivationForward"). The exact status is UNCONFIRMED; BAD_PARAM is used. */
    if (actd->mode == CUDNN_ACTIVATION_IDENTITY)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: IDENTITY is not supported by cudnnActivationForward", call);
    if ((st = tensor_ok(xd, call, "x")) || (st = tensor_ok(yd, call, "y"))) return st;
    if (!same_dims(xd, yd) || xd->dtype != yd->dtype)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: x and y dimensions or data types differ", call);
    if ((st = float_only(xd->dtype, call)) || (st = scalars(&wk, alpha, beta, call))) return st;
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(y, tensor_bytes(yd), call, "y"))) return st;
    wk.kind = K_ACT; wk.act = *actd; wk.a = *xd; wk.c = *yd; wk.ap = x; wk.cp = y;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnPoolingForward(cudnn_handle *h, const pool_desc *pd, const void *alpha, const tensor_desc *xd,
                                             const void *x, const void *beta, const tensor_desc *yd, void *y) {
    PROLOGUE("cudnnPoolingForward");
    if (!pd || pd->magic != MAGIC_POOL || !pd->set) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: pooling descriptor", call);
    if ((st = tensor_ok(xd, call, "x")) || (st = tensor_ok(yd, call, "y"))) return st;
    if (xd->nb != 4 || yd->nb != 4) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: 2-D pooling needs 4-D tensors", call);
    if (xd->dim[0] != yd->dim[0] || xd->dim[1] != yd->dim[1] || xd->dtype != yd->dtype)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: n or c of x and y differ", call);
    /* The output size is the caller's choice (a ceil-mode output may be one larger than
     * cudnnGetPooling2dForwardOutputDim); every window is clipped to the input. */
    if ((st = float_only(xd->dtype, call)) || (st = scalars(&wk, alpha, beta, call))) return st;
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(y, tensor_bytes(yd), call, "y"))) return st;
    wk.kind = K_POOL; wk.pool = *pd; wk.a = *xd; wk.c = *yd; wk.ap = x; wk.cp = y;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

static cudnnStatus_t check_param_desc(const tensor_desc *p, const tensor_desc *x, int per_activation, const char *call) {
    cudnnStatus_t st = tensor_ok(p, call, "scale/bias/mean/var");
    if (st) return st;
    if (p->nb != x->nb) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: parameter descriptor rank", call);
    for (int i = 0; i < x->nb; i++) {
        int want = i == 1 ? x->dim[1] : (i >= 2 && per_activation ? x->dim[i] : 1);
        if (p->dim[i] != want)
            return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: parameter dimension %d is %d, expected %d", call, i, p->dim[i], want);
    }
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnn_handle *h, int mode, const void *alpha,
                                                                 const void *beta, const tensor_desc *xd, const void *x,
                                                                 const tensor_desc *yd, void *y, const tensor_desc *pd,
                                                                 const void *scale, const void *bias, const void *mean,
                                                                 const void *var, double eps) {
    PROLOGUE("cudnnBatchNormalizationForwardInference");
    if (mode < 0 || mode > 2) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: mode %d", call, mode);
    if ((st = tensor_ok(xd, call, "x")) || (st = tensor_ok(yd, call, "y"))) return st;
    if (xd->nb != 4 && xd->nb != 5) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: x must be 4-D or 5-D", call);
    if (!same_dims(xd, yd) || xd->dtype != yd->dtype)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: x and y dimensions or data types differ", call);
    if ((st = check_param_desc(pd, xd, mode == CUDNN_BATCHNORM_PER_ACTIVATION, call))) return st;
    if (eps < 0.0) /* CUDNN_BN_MIN_EPSILON is 0.0 in cuDNN 9 */
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: epsilon %g below CUDNN_BN_MIN_EPSILON", call, eps);
    if (!scale || !bias || !mean || !var) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: a parameter pointer is NULL", call);
    if ((st = float_only(xd->dtype, call)) || (st = scalars(&wk, alpha, beta, call))) return st;
    size_t pb = tensor_bytes(pd);
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(y, tensor_bytes(yd), call, "y")) ||
        (st = dev_ok(scale, pb, call, "bnScale")) || (st = dev_ok(bias, pb, call, "bnBias")) ||
        (st = dev_ok(mean, pb, call, "estimatedMean")) || (st = dev_ok(var, pb, call, "estimatedVariance")))
        return st;
    wk.kind = K_BN; wk.a = *xd; wk.c = *yd; wk.p = *pd; wk.ap = x; wk.cp = y;
    wk.scale = scale; wk.bias = bias; wk.mean = mean; wk.var = var; wk.eps = eps;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnNormalizationForwardInference(
    cudnn_handle *h, int mode, int ops, int algo, const void *alpha, const void *beta, const tensor_desc *xd, const void *x,
    const tensor_desc *sbd, const void *scale, const void *bias, const tensor_desc *mvd, const void *mean, const void *var,
    const tensor_desc *zd, const void *z, const act_desc *actd, const tensor_desc *yd, void *y, double eps, int groups) {
    PROLOGUE("cudnnNormalizationForwardInference");
    if (mode < 0 || mode > 1 || ops < 0 || ops > 2 || algo < 0 || algo > 1)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: mode %d ops %d algo %d", call, mode, ops, algo);
    if (groups != 1) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: groupCnt must be 1", call);
    if ((st = tensor_ok(xd, call, "x")) || (st = tensor_ok(yd, call, "y"))) return st;
    if (!same_dims(xd, yd)) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: x and y dimensions differ", call);
    if ((st = check_param_desc(sbd, xd, mode == 0, call)) || (st = check_param_desc(mvd, xd, mode == 0, call))) return st;
    if (eps < 0.0 || !scale || !bias || !mean || !var) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: parameters", call);
    if (ops >= 1 && (!actd || actd->magic != MAGIC_ACT || !actd->set))
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: activation descriptor required", call);
    if (ops == 2 && ((st = tensor_ok(zd, call, "z")) || !same_dims(zd, yd)))
        return st ? st : dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: z dimensions", call);
    if ((st = float_only(xd->dtype, call)) || (st = scalars(&wk, alpha, beta, call))) return st;
    size_t pb = tensor_bytes(sbd);
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(y, tensor_bytes(yd), call, "y")) ||
        (st = dev_ok(scale, pb, call, "scale")) || (st = dev_ok(bias, pb, call, "bias")) ||
        (st = dev_ok(mean, tensor_bytes(mvd), call, "mean")) || (st = dev_ok(var, tensor_bytes(mvd), call, "variance")) ||
        (ops == 2 && (st = dev_ok(z, tensor_bytes(zd), call, "z"))))
        return st;
    wk.kind = K_NORM; wk.a = *xd; wk.c = *yd; wk.p = *sbd; wk.ap = x; wk.cp = y;
    wk.scale = scale; wk.bias = bias; wk.mean = mean; wk.var = var; wk.eps = eps;
    if (ops == 2) { wk.b = *zd; wk.zp = z; }
    if (ops >= 1) wk.act = *actd;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnSoftmaxForward(cudnn_handle *h, int algo, int mode, const void *alpha, const tensor_desc *xd,
                                             const void *x, const void *beta, const tensor_desc *yd, void *y) {
    PROLOGUE("cudnnSoftmaxForward");
    if (algo < 0 || algo > 2 || mode < 0 || mode > 1)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: algo %d mode %d", call, algo, mode);
    if ((st = tensor_ok(xd, call, "x")) || (st = tensor_ok(yd, call, "y"))) return st;
    if (!same_dims(xd, yd) || xd->dtype != yd->dtype)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: x and y dimensions or data types differ", call);
    if ((st = float_only(xd->dtype, call)) || (st = scalars(&wk, alpha, beta, call))) return st;
    if ((st = dev_ok(x, tensor_bytes(xd), call, "x")) || (st = dev_ok(y, tensor_bytes(yd), call, "y"))) return st;
    wk.kind = K_SOFTMAX; wk.algo = algo; wk.mode = mode; wk.a = *xd; wk.c = *yd; wk.ap = x; wk.cp = y;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}

EMU_EXPORT cudnnStatus_t cudnnSetTensor(cudnn_handle *h, const tensor_desc *yd, void *y, const void *value) {
    PROLOGUE("cudnnSetTensor");
    if ((st = tensor_ok(yd, call, "y"))) return st;
    if (!value) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: value NULL", call);
    if ((st = float_only(yd->dtype, call))) return st;
    if ((st = dev_ok(y, tensor_bytes(yd), call, "y"))) return st;
    wk.kind = K_SET; wk.c = *yd; wk.cp = y; wk.alpha = *(const float *) value;
    return dnn_submit(h, call, run_op, &wk, sizeof wk);
}
