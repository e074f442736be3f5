// fold_bn.cu - folds BatchNorm into the weights and biases of every layer of a model in one launch.
//
// One block per output channel of the whole model (channels of all layers numbered consecutively). Every
// thread of the block computes the channel's scale s = gamma / sqrt(var + eps) in float64 - the same value
// in every thread, no sharing needed - and scales a strided share of the channel's weights; thread 0 writes
// the folded bias. The formulas are FoldEngine's:
//   s[c]  = gamma[c] / sqrt(var[c] + eps)
//   W'    = W * s[channel of the element]
//   b'[c] = (b[c] - mean[c]) * s[c] + beta[c]      (b = 0 for a layer without bias: the host packs zeros)
// each computed in float64 and rounded once to float32. sqrt and division are correctly rounded in float64
// (rsqrt is not), and the build passes -fmad=false so no multiply-add is contracted: the result is bit for
// bit what the host computes from the same formulas.
//
// A layer's weight is viewed as [outer, channels, inner] split into `groups` groups along outer; element
// (o, c, i) belongs to output channel (o / (outer / groups)) * channels + c (FoldJob.Layout).
//
// Arguments, all packed by the host (CudaFoldEngine / FoldPacking):
//   w_in, w_out      all weights back to back; layer l starts at w_off[l]
//   bias_in..var     one value per model channel
//   eps              one float64 per layer
//   meta             5 ints per layer: first model channel, outer, channels, inner, groups
//   layer_of         the layer of each model channel
// Launch: grid.x = total_channels, block.x = any (256).

extern "C" __global__ void fold_bn(const float* w_in, float* w_out, const float* bias_in, float* bias_out, const float* gamma, const float* beta, const float* mean, const float* var, const double* eps, const long long* w_off, const int* meta, const int* layer_of, int total_channels)
{
    int c = blockIdx.x;
    if (c >= total_channels) return;
    int layer = layer_of[c];
    int first = meta[5 * layer];
    int outer = meta[5 * layer + 1];
    int channels = meta[5 * layer + 2];
    int inner = meta[5 * layer + 3];
    int groups = meta[5 * layer + 4];
    int local = c - first;
    int group = local / channels;
    int cc = local % channels;
    long long outerPerGroup = outer / groups;

    double s = (double)gamma[c] / sqrt((double)var[c] + eps[layer]);

    long long count = outerPerGroup * inner;
    for (long long e = threadIdx.x; e < count; e += blockDim.x) {
        long long o = group * outerPerGroup + e / inner;
        long long i = e % inner;
        long long idx = w_off[layer] + (o * channels + cc) * inner + i;
        w_out[idx] = (float)((double)w_in[idx] * s);
    }
    if (threadIdx.x == 0) {
        bias_out[c] = (float)(((double)bias_in[c] - (double)mean[c]) * s + (double)beta[c]);
    }
}
