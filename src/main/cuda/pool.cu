// pool.cu - 2-D max and average pooling over NCHW planes, with the reference interpreter's ONNX semantics:
// asymmetric pads (pt, pl, pb, pr), dilation, ceil_mode (already in oh/ow), and for averages either the
// count of window positions inside the declared padded input (mode 1, count_include_pad) or the count of
// real input pixels (mode 2). mode 0 is max; NaN wins, as in the reference. GlobalAveragePool is mode 1
// with the window equal to the plane. n = planes * oh * ow, one output per loop iteration.

extern "C" __global__ void pool2d(const float* x, float* y, long long n, int h, int w, int oh, int ow, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr, int dh, int dw, int mode)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        int ox = (int)(i % ow);
        long long t = i / ow;
        int oy = (int)(t % oh);
        long long plane = t / oh;
        const float* src = x + plane * h * w;
        float acc = 0.0f;
        int seen = 0;
        int count = 0;
        int padCount = 0;
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * sh - pt + ky * dh;
            for (int kx = 0; kx < kw; kx++) {
                int ix = ox * sw - pl + kx * dw;
                if (iy >= -pt && iy < h + pb && ix >= -pl && ix < w + pr) {
                    padCount++;
                }
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) {
                    continue;
                }
                float v = src[(long long)iy * w + ix];
                if (mode == 0) {
                    if (seen == 0 || v > acc || v != v) {
                        acc = v;
                    }
                    seen = 1;
                } else {
                    acc = acc + v;
                }
                count++;
            }
        }
        if (mode == 1) {
            acc = acc / (float)padCount;
        } else if (mode == 2) {
            acc = acc / (float)count;
        }
        y[i] = acc;
    }
}
