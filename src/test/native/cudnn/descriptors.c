/*
 * descriptors.c - tensor, filter, convolution, activation, pooling and op-tensor descriptors.
 *
 * Validation follows the cuDNN API reference "Returns" sections: non-positive sizes, bad enumerants
 * and inconsistent shapes give CUDNN_STATUS_BAD_PARAM; sizes the library does not handle (too many
 * dimensions, more than 2^31 elements) give CUDNN_STATUS_NOT_SUPPORTED. cuDNN pads symmetrically
 * only (one pad per spatial dimension): an ONNX model with asymmetric pads cannot be expressed in a
 * convolution descriptor and must be handled by the caller (e.g. an explicit pad).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cudnn_emu.h"

static int dtype_valid(int t) { return t >= 0 && t <= 21; }
static int elem_size(int t) {
    switch (t) {
    case 0: case 4: case 19: return 4;  /* FLOAT, INT32, UINT32 */
    case 1: case 10: case 20: return 8; /* DOUBLE, INT64, COMPLEX_FP32 */
    case 2: case 9: return 2;           /* HALF, BFLOAT16 */
    case 21: return 16;
    default: return 1;
    }
}

cudnnStatus_t float_only(int dtype, const char *call) {
    if (dtype == CUDNN_DATA_FLOAT) return 0;
    fprintf(stderr, "emu: %s: data type %d is valid cuDNN but the emulator computes FLOAT only "
                    "(emulator limitation, not a cuDNN rule)\n", call, dtype);
    return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: data type %d not emulated", call, dtype);
}

cudnnStatus_t dev_ok(const void *p, size_t bytes, const char *call, const char *what) {
    if (!p) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: %s is NULL", call, what);
    if (emu_check_range(p, bytes, EMU_MEM_DEVICE | EMU_MEM_HOST, what)) {
        emu_error("%s: %s is not a valid device buffer of %zu bytes (see the line above)", call, what, bytes);
        return dnn_ret(CUDNN_STATUS_EXECUTION_FAILED, "%s: %s outside device memory", call, what);
    }
    return 0;
}

/* ---- tensors ---------------------------------------------------------------------------------- */

#define CREATE(fn, type, magicv, kind)                                                     \
    EMU_EXPORT cudnnStatus_t fn(type **out) {                                              \
        int f = dnn_enter(#fn);                                                            \
        if (f) return dnn_ret(f, NULL);                                                    \
        if (!out) return dnn_ret(CUDNN_STATUS_BAD_PARAM, #fn ": NULL output pointer");     \
        type *d = calloc(1, sizeof *d);                                                    \
        if (!d) return dnn_ret(CUDNN_STATUS_ALLOC_FAILED, NULL);                           \
        d->magic = magicv;                                                                 \
        emu_track(kind, 1);                                                                \
        *out = d;                                                                          \
        return 0;                                                                          \
    }

#define DESTROY(fn, type, magicv, kind)                                                    \
    EMU_EXPORT cudnnStatus_t fn(type *d) {                                                 \
        int f = dnn_enter(#fn);                                                            \
        if (f) return dnn_ret(f, NULL);                                                    \
        if (!d) return 0; /* destroying NULL is allowed */                                 \
        if (d->magic != magicv) {                                                          \
            emu_error(#fn " on an invalid or already destroyed descriptor %p", (void *) d); \
            return dnn_ret(CUDNN_STATUS_BAD_PARAM, #fn ": invalid descriptor");            \
        }                                                                                  \
        d->magic = MAGIC_DEAD;                                                             \
        emu_track(kind, -1);                                                               \
        return 0;                                                                          \
    }

CREATE(cudnnCreateTensorDescriptor, tensor_desc, MAGIC_TENSOR, "cudnnTensorDescriptor")
DESTROY(cudnnDestroyTensorDescriptor, tensor_desc, MAGIC_TENSOR, "cudnnTensorDescriptor")
CREATE(cudnnCreateFilterDescriptor, filter_desc, MAGIC_FILTER, "cudnnFilterDescriptor")
DESTROY(cudnnDestroyFilterDescriptor, filter_desc, MAGIC_FILTER, "cudnnFilterDescriptor")
CREATE(cudnnCreateConvolutionDescriptor, conv_desc, MAGIC_CONV, "cudnnConvolutionDescriptor")
DESTROY(cudnnDestroyConvolutionDescriptor, conv_desc, MAGIC_CONV, "cudnnConvolutionDescriptor")
CREATE(cudnnCreateActivationDescriptor, act_desc, MAGIC_ACT, "cudnnActivationDescriptor")
DESTROY(cudnnDestroyActivationDescriptor, act_desc, MAGIC_ACT, "cudnnActivationDescriptor")
CREATE(cudnnCreatePoolingDescriptor, pool_desc, MAGIC_POOL, "cudnnPoolingDescriptor")
DESTROY(cudnnDestroyPoolingDescriptor, pool_desc, MAGIC_POOL, "cudnnPoolingDescriptor")
CREATE(cudnnCreateOpTensorDescriptor, optensor_desc, MAGIC_OPT, "cudnnOpTensorDescriptor")
DESTROY(cudnnDestroyOpTensorDescriptor, optensor_desc, MAGIC_OPT, "cudnnOpTensorDescriptor")

static cudnnStatus_t set_tensor(tensor_desc *t, const char *call, int dtype, int nb, const int *dim, const int *stride) {
    if (!t || t->magic != MAGIC_TENSOR) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: invalid descriptor", call);
    if (!dtype_valid(dtype)) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: invalid data type %d", call, dtype);
    long long count = 1;
    for (int i = 0; i < nb; i++) {
        if (dim[i] <= 0 || stride[i] <= 0)
            return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: dimension %d has size %d stride %d", call, i, dim[i], stride[i]);
        count *= dim[i];
    }
    if (count > INT_MAX)
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: more than 2 Giga-elements", call);
    t->dtype = dtype;
    t->nb = nb;
    memcpy(t->dim, dim, (size_t) nb * sizeof *dim);
    memcpy(t->stride, stride, (size_t) nb * sizeof *stride);
    t->set = 1;
    return 0;
}

static void packed_strides(int format, int nb, const int *dim, int *stride) {
    if (format == CUDNN_TENSOR_NHWC && nb >= 3) { /* N, then spatial dims, C innermost */
        stride[1] = 1;
        int s = dim[1];
        for (int i = nb - 1; i >= 2; i--) { stride[i] = s; s *= dim[i]; }
        stride[0] = s;
        return;
    }
    int s = 1;
    for (int i = nb - 1; i >= 0; i--) { stride[i] = s; s *= dim[i]; }
}

EMU_EXPORT cudnnStatus_t cudnnSetTensor4dDescriptor(tensor_desc *t, int format, int dtype, int n, int c, int h, int w) {
    int f = dnn_enter("cudnnSetTensor4dDescriptor");
    if (f) return dnn_ret(f, NULL);
    if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC)
        return dnn_ret(format == CUDNN_TENSOR_NCHW_VECT_C ? CUDNN_STATUS_NOT_SUPPORTED : CUDNN_STATUS_BAD_PARAM,
                       "cudnnSetTensor4dDescriptor: format %d", format);
    int dim[4] = {n, c, h, w}, stride[4];
    for (int i = 0; i < 4; i++)
        if (dim[i] <= 0) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetTensor4dDescriptor: dimension %d is %d", i, dim[i]);
    packed_strides(format, 4, dim, stride);
    return set_tensor(t, "cudnnSetTensor4dDescriptor", dtype, 4, dim, stride);
}

EMU_EXPORT cudnnStatus_t cudnnSetTensor4dDescriptorEx(tensor_desc *t, int dtype, int n, int c, int h, int w,
                                                      int ns, int cs, int hs, int ws) {
    int f = dnn_enter("cudnnSetTensor4dDescriptorEx");
    if (f) return dnn_ret(f, NULL);
    int dim[4] = {n, c, h, w}, stride[4] = {ns, cs, hs, ws};
    return set_tensor(t, "cudnnSetTensor4dDescriptorEx", dtype, 4, dim, stride);
}

EMU_EXPORT cudnnStatus_t cudnnSetTensorNdDescriptor(tensor_desc *t, int dtype, int nb, const int *dim, const int *stride) {
    int f = dnn_enter("cudnnSetTensorNdDescriptor");
    if (f) return dnn_ret(f, NULL);
    if (nb < 3 || nb > DIM_MAX)
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "cudnnSetTensorNdDescriptor: nbDims %d outside [3, 8]", nb);
    if (!dim || !stride) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetTensorNdDescriptor: NULL array");
    return set_tensor(t, "cudnnSetTensorNdDescriptor", dtype, nb, dim, stride);
}

EMU_EXPORT cudnnStatus_t cudnnGetTensor4dDescriptor(const tensor_desc *t, int *dtype, int *n, int *c, int *h, int *w,
                                                    int *ns, int *cs, int *hs, int *ws) {
    if (!t || t->magic != MAGIC_TENSOR || !t->set || t->nb != 4) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    *dtype = t->dtype;
    *n = t->dim[0]; *c = t->dim[1]; *h = t->dim[2]; *w = t->dim[3];
    *ns = t->stride[0]; *cs = t->stride[1]; *hs = t->stride[2]; *ws = t->stride[3];
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetTensorSizeInBytes(const tensor_desc *t, size_t *size) {
    if (!t || t->magic != MAGIC_TENSOR || !t->set || !size) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    *size = tensor_bytes(t);
    return 0;
}

cudnnStatus_t tensor_ok(const tensor_desc *t, const char *call, const char *what) {
    if (!t || t->magic != MAGIC_TENSOR) {
        if (t && t->magic == MAGIC_DEAD) emu_error("%s: %s descriptor was already destroyed", call, what);
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: %s is not a tensor descriptor", call, what);
    }
    if (!t->set) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: %s descriptor was never set", call, what);
    return 0;
}

size_t tensor_bytes(const tensor_desc *t) {
    size_t last = 0;
    for (int i = 0; i < t->nb; i++) last += (size_t) (t->dim[i] - 1) * (size_t) t->stride[i];
    return (last + 1) * (size_t) elem_size(t->dtype);
}

int same_dims(const tensor_desc *a, const tensor_desc *b) {
    if (a->nb != b->nb) return 0;
    for (int i = 0; i < a->nb; i++)
        if (a->dim[i] != b->dim[i]) return 0;
    return 1;
}

/* ---- filters ---------------------------------------------------------------------------------- */

static cudnnStatus_t set_filter(filter_desc *f, const char *call, int dtype, int format, int nb, const int *dim) {
    if (!f || f->magic != MAGIC_FILTER) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: invalid descriptor", call);
    if (!dtype_valid(dtype)) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: invalid data type %d", call, dtype);
    if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: format %d", call, format);
    long long count = 1;
    for (int i = 0; i < nb; i++) {
        if (dim[i] <= 0) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: dimension %d is %d", call, i, dim[i]);
        count *= dim[i];
    }
    if (count > INT_MAX) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "%s: too many elements", call);
    f->dtype = dtype;
    f->format = format;
    f->nb = nb;
    memcpy(f->dim, dim, (size_t) nb * sizeof *dim);
    f->set = 1;
    return 0;
}

/* Note the argument order: dataType before format, the opposite of cudnnSetTensor4dDescriptor. */
EMU_EXPORT cudnnStatus_t cudnnSetFilter4dDescriptor(filter_desc *f, int dtype, int format, int k, int c, int h, int w) {
    int e = dnn_enter("cudnnSetFilter4dDescriptor");
    if (e) return dnn_ret(e, NULL);
    int dim[4] = {k, c, h, w};
    return set_filter(f, "cudnnSetFilter4dDescriptor", dtype, format, 4, dim);
}

EMU_EXPORT cudnnStatus_t cudnnSetFilterNdDescriptor(filter_desc *f, int dtype, int format, int nb, const int *dim) {
    int e = dnn_enter("cudnnSetFilterNdDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (nb < 3 || nb > DIM_MAX || !dim)
        return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "cudnnSetFilterNdDescriptor: nbDims %d", nb);
    return set_filter(f, "cudnnSetFilterNdDescriptor", dtype, format, nb, dim);
}

cudnnStatus_t filter_ok(const filter_desc *f, const char *call) {
    if (!f || f->magic != MAGIC_FILTER) {
        if (f && f->magic == MAGIC_DEAD) emu_error("%s: filter descriptor was already destroyed", call);
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: not a filter descriptor", call);
    }
    if (!f->set) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: filter descriptor was never set", call);
    return 0;
}

void filter_strides(const filter_desc *f, long st[4]) {
    long k = f->dim[0], c = f->dim[1], r = f->dim[2], s = f->dim[3];
    (void) k;
    if (f->format == CUDNN_TENSOR_NHWC) { /* KRSC */
        st[0] = r * s * c; st[1] = 1; st[2] = s * c; st[3] = c;
    } else {                               /* KCRS */
        st[0] = c * r * s; st[1] = r * s; st[2] = s; st[3] = 1;
    }
}

size_t filter_bytes(const filter_desc *f) {
    size_t n = 1;
    for (int i = 0; i < f->nb; i++) n *= (size_t) f->dim[i];
    return n * (size_t) elem_size(f->dtype);
}

/* ---- convolution ------------------------------------------------------------------------------ */

EMU_EXPORT cudnnStatus_t cudnnSetConvolution2dDescriptor(conv_desc *c, int pad_h, int pad_w, int u, int v, int dil_h,
                                                         int dil_w, int mode, int compute) {
    int e = dnn_enter("cudnnSetConvolution2dDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (!c || c->magic != MAGIC_CONV) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "invalid convolution descriptor");
    if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dil_h <= 0 || dil_w <= 0)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolution2dDescriptor: pad %d,%d stride %d,%d dilation %d,%d",
                       pad_h, pad_w, u, v, dil_h, dil_w);
    if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolution2dDescriptor: mode %d", mode);
    if (!dtype_valid(compute)) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolution2dDescriptor: compute type %d", compute);
    c->pad[0] = pad_h; c->pad[1] = pad_w;
    c->stride[0] = u; c->stride[1] = v;
    c->dil[0] = dil_h; c->dil[1] = dil_w;
    c->mode = mode;
    c->compute = compute;
    if (!c->groups) c->groups = 1;
    c->set = 1;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnSetConvolutionGroupCount(conv_desc *c, int groups) {
    int e = dnn_enter("cudnnSetConvolutionGroupCount");
    if (e) return dnn_ret(e, NULL);
    if (!c || c->magic != MAGIC_CONV || groups < 1)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionGroupCount: %d", groups);
    c->groups = groups;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnSetConvolutionMathType(conv_desc *c, int math) {
    int e = dnn_enter("cudnnSetConvolutionMathType");
    if (e) return dnn_ret(e, NULL);
    if (!c || c->magic != MAGIC_CONV || math < 0 || math > 3)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetConvolutionMathType: %d", math);
    c->math = math;
    return 0;
}

cudnnStatus_t conv_ok(const conv_desc *c, const char *call) {
    if (!c || c->magic != MAGIC_CONV) {
        if (c && c->magic == MAGIC_DEAD) emu_error("%s: convolution descriptor was already destroyed", call);
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: not a convolution descriptor", call);
    }
    if (!c->set) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: convolution descriptor was never set", call);
    return 0;
}

cudnnStatus_t conv_out_dims(const conv_desc *c, const tensor_desc *x, const filter_desc *w, int out[4], const char *call) {
    cudnnStatus_t s;
    if ((s = conv_ok(c, call)) || (s = tensor_ok(x, call, "input")) || (s = filter_ok(w, call))) return s;
    if (x->nb != 4 || w->nb != 4)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: 2-D convolution needs 4-D tensors (got %d and %d)", call, x->nb, w->nb);
    if (x->dtype != w->dtype) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: input and filter data types differ", call);
    if (x->dim[1] != w->dim[1] * c->groups)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: input has %d channels but filter expects %d x %d groups",
                       call, x->dim[1], w->dim[1], c->groups);
    if (w->dim[0] % c->groups)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: %d output channels not divisible by %d groups", call, w->dim[0], c->groups);
    out[0] = x->dim[0];
    out[1] = w->dim[0];
    for (int i = 0; i < 2; i++) {
        int ek = (w->dim[2 + i] - 1) * c->dil[i] + 1;
        int o = 1 + (x->dim[2 + i] + 2 * c->pad[i] - ek) / c->stride[i];
        if (x->dim[2 + i] + 2 * c->pad[i] < ek || o <= 0)
            return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: dilated filter (%d) larger than padded input (%d)", call, ek,
                           x->dim[2 + i] + 2 * c->pad[i]);
        out[2 + i] = o;
    }
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const conv_desc *c, const tensor_desc *x,
                                                               const filter_desc *w, int *n, int *k, int *h, int *wd) {
    int e = dnn_enter("cudnnGetConvolution2dForwardOutputDim");
    if (e) return dnn_ret(e, NULL);
    if (!n || !k || !h || !wd) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "NULL output");
    int out[4];
    cudnnStatus_t s = conv_out_dims(c, x, w, out, "cudnnGetConvolution2dForwardOutputDim");
    if (s) return s;
    *n = out[0]; *k = out[1]; *h = out[2]; *wd = out[3];
    return 0;
}

/* ---- activation, pooling, op-tensor ----------------------------------------------------------- */

EMU_EXPORT cudnnStatus_t cudnnSetActivationDescriptor(act_desc *a, int mode, int nan, double coef) {
    int e = dnn_enter("cudnnSetActivationDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (!a || a->magic != MAGIC_ACT) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "invalid activation descriptor");
    if (mode < 0 || mode > 6 || nan < 0 || nan > 1)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetActivationDescriptor: mode %d nanOpt %d", mode, nan);
    a->mode = mode;
    a->nan = nan;
    a->coef = coef;
    a->set = 1;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetActivationDescriptor(const act_desc *a, int *mode, int *nan, double *coef) {
    if (!a || a->magic != MAGIC_ACT || !a->set || !mode || !nan || !coef) return dnn_ret(CUDNN_STATUS_BAD_PARAM, NULL);
    *mode = a->mode; *nan = a->nan; *coef = a->coef;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnSetPooling2dDescriptor(pool_desc *p, int mode, int nan, int wh, int ww, int ph, int pw,
                                                     int sh, int sw) {
    int e = dnn_enter("cudnnSetPooling2dDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (!p || p->magic != MAGIC_POOL) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "invalid pooling descriptor");
    if (mode < 0 || mode > 3 || nan < 0 || nan > 1 || wh <= 0 || ww <= 0 || ph < 0 || pw < 0 || sh <= 0 || sw <= 0)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetPooling2dDescriptor: mode %d window %dx%d pad %d,%d stride %d,%d",
                       mode, wh, ww, ph, pw, sh, sw);
    p->mode = mode; p->nan = nan;
    p->win[0] = wh; p->win[1] = ww;
    p->pad[0] = ph; p->pad[1] = pw;
    p->stride[0] = sh; p->stride[1] = sw;
    p->set = 1;
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnGetPooling2dForwardOutputDim(const pool_desc *p, const tensor_desc *x, int *n, int *c,
                                                           int *h, int *w) {
    int e = dnn_enter("cudnnGetPooling2dForwardOutputDim");
    if (e) return dnn_ret(e, NULL);
    cudnnStatus_t s = tensor_ok(x, "cudnnGetPooling2dForwardOutputDim", "input");
    if (s) return s;
    if (!p || p->magic != MAGIC_POOL || !p->set || x->nb != 4 || !n || !c || !h || !w)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnGetPooling2dForwardOutputDim: bad arguments");
    int o[2];
    for (int i = 0; i < 2; i++) {
        int span = x->dim[2 + i] + 2 * p->pad[i] - p->win[i];
        if (span < 0) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "pooling window larger than padded input");
        o[i] = 1 + span / p->stride[i];
    }
    *n = x->dim[0]; *c = x->dim[1]; *h = o[0]; *w = o[1];
    return 0;
}

EMU_EXPORT cudnnStatus_t cudnnSetOpTensorDescriptor(optensor_desc *d, int op, int comp, int nan) {
    int e = dnn_enter("cudnnSetOpTensorDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (!d || d->magic != MAGIC_OPT || op < 0 || op > 5 || !dtype_valid(comp) || nan < 0 || nan > 1)
        return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnSetOpTensorDescriptor: op %d comp %d nan %d", op, comp, nan);
    d->op = op; d->comp = comp; d->nan = nan;
    d->set = 1;
    return 0;
}

/* ---- derived descriptors for normalisation ---------------------------------------------------- */

static cudnnStatus_t derive(tensor_desc *d, const tensor_desc *x, int per_activation, const char *call) {
    cudnnStatus_t s = tensor_ok(x, call, "x");
    if (s) return s;
    if (!d || d->magic != MAGIC_TENSOR) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: derived descriptor invalid", call);
    if (x->nb != 4 && x->nb != 5) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "%s: x must be 4-D or 5-D", call);
    int dim[DIM_MAX], stride[DIM_MAX];
    dim[0] = 1;
    dim[1] = x->dim[1];
    for (int i = 2; i < x->nb; i++) dim[i] = per_activation ? x->dim[i] : 1;
    packed_strides(CUDNN_TENSOR_NCHW, x->nb, dim, stride);
    /* HALF/BFLOAT16 inputs use FLOAT statistics; others keep their type. */
    int dtype = x->dtype == CUDNN_DATA_HALF || x->dtype == 9 ? CUDNN_DATA_FLOAT : x->dtype;
    return set_tensor(d, call, dtype, x->nb, dim, stride);
}

EMU_EXPORT cudnnStatus_t cudnnDeriveBNTensorDescriptor(tensor_desc *d, const tensor_desc *x, int mode) {
    int e = dnn_enter("cudnnDeriveBNTensorDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (mode < 0 || mode > 2) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnDeriveBNTensorDescriptor: mode %d", mode);
    return derive(d, x, mode == CUDNN_BATCHNORM_PER_ACTIVATION, "cudnnDeriveBNTensorDescriptor");
}

EMU_EXPORT cudnnStatus_t cudnnDeriveNormTensorDescriptor(tensor_desc *sb, tensor_desc *mv, const tensor_desc *x,
                                                         int mode, int groups) {
    int e = dnn_enter("cudnnDeriveNormTensorDescriptor");
    if (e) return dnn_ret(e, NULL);
    if (mode < 0 || mode > 1) return dnn_ret(CUDNN_STATUS_BAD_PARAM, "cudnnDeriveNormTensorDescriptor: mode %d", mode);
    if (groups != 1) return dnn_ret(CUDNN_STATUS_NOT_SUPPORTED, "cudnnDeriveNormTensorDescriptor: groupCnt must be 1");
    cudnnStatus_t s = derive(sb, x, mode == 0, "cudnnDeriveNormTensorDescriptor");
    return s ? s : derive(mv, x, mode == 0, "cudnnDeriveNormTensorDescriptor");
}
