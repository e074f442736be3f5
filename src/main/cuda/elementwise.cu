// elementwise.cu - element-wise kernels of the CUDA backend (grid-stride loops over n elements).
//
// bias_act:     y[i] = act(x[i] + bias[(i / inner) % channels])   (bias only when has_bias != 0)
//               kind 0 none, 1 relu, 2 clip(lo, hi), 3 sigmoid. Comparisons are written so that NaN
//               passes through, as in the reference interpreter. x may equal y (in place).
// binary_bcast: y[i] = a[ia] op b[ib] over an output of up to 6 dims d0..d5 (row-major, padded with
//               leading 1s); sa*/sb* are the element strides of a and b, 0 along broadcast dims.
//               op 0 add, 1 mul, 2 copy a (b unused: a broadcast copy).

extern "C" __global__ void bias_act(const float* x, const float* bias, float* y, long long n, int channels, int inner, int has_bias, int kind, float lo, float hi)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        float v = x[i];
        if (has_bias != 0) {
            v = v + bias[(i / inner) % channels];
        }
        if (kind == 1) {
            v = v < 0.0f ? 0.0f : v;
        } else if (kind == 2) {
            v = v < lo ? lo : (v > hi ? hi : v);
        } else if (kind == 3) {
            v = 1.0f / (1.0f + expf(-v));
        }
        y[i] = v;
    }
}

extern "C" __global__ void binary_bcast(const float* a, const float* b, float* y, long long n, int op, int d0, int d1, int d2, int d3, int d4, int d5, long long sa0, long long sa1, long long sa2, long long sa3, long long sa4, long long sa5, long long sb0, long long sb1, long long sb2, long long sb3, long long sb4, long long sb5)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        long long r = i;
        long long c5 = r % d5;
        r = r / d5;
        long long c4 = r % d4;
        r = r / d4;
        long long c3 = r % d3;
        r = r / d3;
        long long c2 = r % d2;
        r = r / d2;
        long long c1 = r % d1;
        long long c0 = r / d1;
        long long ia = c0 * sa0 + c1 * sa1 + c2 * sa2 + c3 * sa3 + c4 * sa4 + c5 * sa5;
        float v = a[ia];
        if (op != 2) {
            long long ib = c0 * sb0 + c1 * sb1 + c2 * sb2 + c3 * sb3 + c4 * sb4 + c5 * sb5;
            v = op == 0 ? v + b[ib] : v * b[ib];
        }
        y[i] = v;
    }
}
