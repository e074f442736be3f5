package io.foldrt.plan;

import io.foldrt.ir.Tensor;

/**
 * One layer to fold: its weight (and optional bias) and the BatchNorm statistics of its output channels.
 *
 * @param layer   node name, for errors and reports
 * @param bias    null when the layer has none (a bias is always produced)
 * @param layout  how the weight's elements map to output channels
 */
public record FoldJob(String layer, Tensor weight, Tensor bias, Layout layout,
                      Tensor gamma, Tensor beta, Tensor mean, Tensor var, double epsilon) {

    /**
     * The weight viewed as [outer, channels, inner] (row-major), split into {@code groups} equal groups along
     * outer. Element (o, c, i) belongs to output channel {@code (o / (outer / groups)) * channels + c}.
     * <ul>
     *   <li>Conv W[M, C/g, kh, kw]: outer 1, channels M, inner C/g*kh*kw, groups 1.</li>
     *   <li>ConvTranspose W[C, M/g, kh, kw]: outer C, channels M/g, inner kh*kw, groups g.</li>
     *   <li>Linear/Gemm transB W[out, in]: outer 1, channels out, inner in.</li>
     *   <li>MatMul / Gemm without transB W[in, out]: outer in, channels out, inner 1.</li>
     * </ul>
     */
    public record Layout(int outer, int channels, int inner, int groups) {
        public int outputChannels() {
            return groups * channels;
        }

        public int channelOf(int index) {
            int o = index / (channels * inner);
            int c = (index / inner) % channels;
            return (o / (outer / groups)) * channels + c;
        }
    }

    public record Result(Tensor weight, Tensor bias) {}
}
