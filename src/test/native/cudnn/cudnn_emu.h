/*
 * cudnn_emu.h - internal declarations of the emulated cuDNN (legacy API, cuDNN 9 numbering).
 *
 * Descriptors store and validate what real cuDNN validates; operations compute in float32 on the host
 * and run as work items on the emulated driver's streams (so they are captured into CUDA graphs like
 * the kernels real cuDNN launches). Only CUDNN_DATA_FLOAT tensors are computed; other data types are
 * accepted by the descriptors but the operations answer CUDNN_STATUS_NOT_SUPPORTED (an emulator
 * limitation that is announced on stderr).
 *
 * Enum values and status codes follow cudnn_graph.h / cudnn_ops.h / cudnn_cnn.h of cuDNN 9 (see
 * shared/docs/native-api-facts.md §4).
 */
#ifndef CUDNN_EMU_H
#define CUDNN_EMU_H

#include <stddef.h>
#include <stdint.h>
#include "emu_api.h"

typedef int cudnnStatus_t;

/* cuDNN 9 status codes (the emulator's internal numbering; mapped to cuDNN 8 numbers on return when
 * EMU_CUDNN_VERSION < 9000). */
enum {
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    CUDNN_STATUS_ALLOC_FAILED = 4003,
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
};

enum { CUDNN_DATA_FLOAT = 0, CUDNN_DATA_DOUBLE = 1, CUDNN_DATA_HALF = 2 };
enum { CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1, CUDNN_TENSOR_NCHW_VECT_C = 2 };
enum { CUDNN_CONVOLUTION = 0, CUDNN_CROSS_CORRELATION = 1 };
enum { CUDNN_ACTIVATION_SIGMOID = 0, CUDNN_ACTIVATION_RELU = 1, CUDNN_ACTIVATION_TANH = 2,
       CUDNN_ACTIVATION_CLIPPED_RELU = 3, CUDNN_ACTIVATION_ELU = 4, CUDNN_ACTIVATION_IDENTITY = 5,
       CUDNN_ACTIVATION_SWISH = 6 };
enum { CUDNN_NOT_PROPAGATE_NAN = 0, CUDNN_PROPAGATE_NAN = 1 };
enum { CUDNN_POOLING_MAX = 0, CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
       CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2, CUDNN_POOLING_MAX_DETERMINISTIC = 3 };
enum { CUDNN_OP_TENSOR_ADD = 0, CUDNN_OP_TENSOR_MUL = 1, CUDNN_OP_TENSOR_MIN = 2, CUDNN_OP_TENSOR_MAX = 3,
       CUDNN_OP_TENSOR_SQRT = 4, CUDNN_OP_TENSOR_NOT = 5 };
enum { CUDNN_FWD_IMPLICIT_GEMM = 0, CUDNN_FWD_IMPLICIT_PRECOMP_GEMM = 1, CUDNN_FWD_GEMM = 2,
       CUDNN_FWD_DIRECT = 3, CUDNN_FWD_FFT = 4, CUDNN_FWD_FFT_TILING = 5, CUDNN_FWD_WINOGRAD = 6,
       CUDNN_FWD_WINOGRAD_NONFUSED = 7, CUDNN_FWD_COUNT = 8 };
enum { CUDNN_BWD_DATA_ALGO_0 = 0, CUDNN_BWD_DATA_ALGO_1 = 1, CUDNN_BWD_DATA_FFT = 2,
       CUDNN_BWD_DATA_FFT_TILING = 3, CUDNN_BWD_DATA_WINOGRAD = 4, CUDNN_BWD_DATA_WINOGRAD_NONFUSED = 5,
       CUDNN_BWD_DATA_COUNT = 6 };
enum { CUDNN_BATCHNORM_PER_ACTIVATION = 0, CUDNN_BATCHNORM_SPATIAL = 1, CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2 };
enum { CUDNN_SOFTMAX_FAST = 0, CUDNN_SOFTMAX_ACCURATE = 1, CUDNN_SOFTMAX_LOG = 2 };
enum { CUDNN_SOFTMAX_MODE_INSTANCE = 0, CUDNN_SOFTMAX_MODE_CHANNEL = 1 };

#define DIM_MAX 8 /* CUDNN_DIM_MAX */

#define MAGIC_HANDLE 0x444e4e48u
#define MAGIC_TENSOR 0x444e5354u
#define MAGIC_FILTER 0x444e5346u
#define MAGIC_CONV   0x444e5343u
#define MAGIC_ACT    0x444e5341u
#define MAGIC_POOL   0x444e5350u
#define MAGIC_OPT    0x444e534fu
#define MAGIC_DEAD   0xdeadbeefu

typedef struct { uint32_t magic; void *stream; } cudnn_handle;

typedef struct {
    uint32_t magic;
    int set;
    int dtype;
    int nb;
    int dim[DIM_MAX];
    int stride[DIM_MAX];
} tensor_desc;

typedef struct {
    uint32_t magic;
    int set;
    int dtype;
    int format;
    int nb;
    int dim[DIM_MAX]; /* K, C, (D,) R, S */
} filter_desc;

typedef struct {
    uint32_t magic;
    int set;
    int pad[2], stride[2], dil[2];
    int mode;
    int compute;
    int groups;
    int math;
} conv_desc;

typedef struct { uint32_t magic; int set; int mode; int nan; double coef; } act_desc;

typedef struct {
    uint32_t magic;
    int set;
    int mode, nan;
    int win[2], pad[2], stride[2];
} pool_desc;

typedef struct { uint32_t magic; int set; int op, comp, nan; } optensor_desc;

/* ---- shared helpers (handle.c) ---------------------------------------------------------------- */
/* Counts the call / applies injected faults: returns 0 to proceed or the status to return. */
int dnn_enter(const char *name);
/* Maps an internal (cuDNN 9) status to what this emulated version reports, and remembers a message
 * for cudnnGetLastErrorString. fmt may be NULL. */
cudnnStatus_t dnn_ret(cudnnStatus_t s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns a cuDNN status for a bad handle, else 0 and binds the runtime context. */
cudnnStatus_t dnn_handle(const cudnn_handle *h, const char *call);
/* Submits work to the handle's stream; maps driver errors to EXECUTION_FAILED. */
cudnnStatus_t dnn_submit(const cudnn_handle *h, const char *name, emu_work_fn fn, const void *payload, size_t size);

/* ---- descriptor helpers (descriptors.c) --------------------------------------------------------- */
cudnnStatus_t tensor_ok(const tensor_desc *t, const char *call, const char *what);
cudnnStatus_t filter_ok(const filter_desc *f, const char *call);
cudnnStatus_t conv_ok(const conv_desc *c, const char *call);
/* Bytes spanned by a tensor (highest element offset + 1, times the element size). */
size_t tensor_bytes(const tensor_desc *t);
size_t filter_bytes(const filter_desc *f);
int same_dims(const tensor_desc *a, const tensor_desc *b);
/* Forward output dims of a 2-D convolution; BAD_PARAM on mismatch. out[4] = n, k, oh, ow. */
cudnnStatus_t conv_out_dims(const conv_desc *c, const tensor_desc *x, const filter_desc *w, int out[4],
                            const char *call);
/* Element strides of a 4-D filter in K, C, R, S order. */
void filter_strides(const filter_desc *f, long st[4]);
/* Checks a device pointer for `bytes`: NULL -> BAD_PARAM, outside an allocation -> EXECUTION_FAILED. */
cudnnStatus_t dev_ok(const void *p, size_t bytes, const char *call, const char *what);
cudnnStatus_t float_only(int dtype, const char *call);

#endif
