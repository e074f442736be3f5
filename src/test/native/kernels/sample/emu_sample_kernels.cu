// Test kernels for the emulator's launch path (not part of the product). They follow the project's
// kernel rules: extern "C" __global__, one-line prototypes, pointer/int/long long/float/double params.

// y = a*x + y for i < n (the bounds check every real kernel needs).
extern "C" __global__ void emu_saxpy(int n, float a, const float *x, float *y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = a * x[i] + y[i];
}

// Deliberately missing its bounds check: a grid larger than n writes past the end of y.
extern "C" __global__ void emu_unchecked_fill(int n, float v, float *y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    (void) n;
    y[i] = v;
}

// Reads x[i + offset]: with an offset past the allocation it reads memory it does not own.
extern "C" __global__ void emu_shifted_copy(int n, long long offset, const float *x, float *y) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) y[i] = x[i + offset];
}

// Every argument kind once: stores them so a test can check the unpacking of kernelParams.
extern "C" __global__ void emu_arg_kinds(int i, long long l, float f, double d, double *out) {
    if (blockIdx.x == 0 && threadIdx.x == 0) {
        out[0] = i;
        out[1] = (double) l;
        out[2] = f;
        out[3] = d;
    }
}

// Writes a linear id built from all three dimensions of blockIdx/threadIdx, so a test can check that
// every (block, thread) of a 3-D launch runs exactly once with the right built-ins.
extern "C" __global__ void emu_grid_ids(int *out) {
    unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned id = bx * (blockDim.x * blockDim.y * blockDim.z) + tx;
    out[id] += (int) (id + 1);
}

// BN folding scale with rsqrtf, to check the math intrinsics used by real kernels.
extern "C" __global__ void emu_bn_scale(int c, const float *gamma, const float *var, float eps, float *s) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < c) s[i] = gamma[i] * rsqrtf(var[i] + eps);
}
