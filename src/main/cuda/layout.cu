// layout.cu - data movement kernels of the CUDA backend.
//
// pad_crop:    dst[p, y, x] = src[p, y + off_y, x + off_x], or 0 outside src. Negative offsets pad (the
//              asymmetric part of a convolution's padding, which cuDNN cannot express); positive offsets
//              crop (a transposed convolution computed with symmetric padding). n = planes * hd * wd.
// concat_copy: copies one Concat input, viewed as [outer, chunk], into the output viewed as
//              [outer, dst_row] at column dst_off. n = outer * chunk.

extern "C" __global__ void pad_crop(const float* src, float* dst, long long n, int hs, int ws, int hd, int wd, int off_y, int off_x)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        int x = (int)(i % wd);
        long long t = i / wd;
        int y = (int)(t % hd);
        long long plane = t / hd;
        int sy = y + off_y;
        int sx = x + off_x;
        float v = 0.0f;
        if (sy >= 0 && sy < hs && sx >= 0 && sx < ws) {
            v = src[(plane * hs + sy) * ws + sx];
        }
        dst[i] = v;
    }
}

extern "C" __global__ void concat_copy(const float* src, float* dst, long long n, long long chunk, long long dst_row, long long dst_off)
{
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)blockDim.x * gridDim.x) {
        long long o = i / chunk;
        long long j = i % chunk;
        dst[o * dst_row + dst_off + j] = src[i];
    }
}
