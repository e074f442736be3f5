package io.foldrt.backend.cuda.geometry;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Op;

/**
 * The cuDNN view of a ConvTranspose node, computed as cudnnConvolutionBackwardData: the transposed
 * convolution of x is the data gradient of a forward convolution whose input is our output (M channels)
 * and whose output is our x (C channels). Its filter is [C, M/group, kH, kW] - exactly ONNX's W - with the
 * same strides, dilations and group count.
 *
 * <p>cuDNN pads symmetrically with p = min(begin, end) per axis and writes a tensor of "full" size
 * {@code s*(H-1) + span - 2p + extra}; the ONNX output is the window starting at {@code begin - p}. The
 * {@code extra} rows make room for output_padding, and must stay below the stride for cuDNN's forward
 * size relation {@code (full + 2p - span) / s + 1 == H} to hold.
 */
public record ConvTransposeGeometry(int n, int cIn, int h, int w, int mPerGroup, int groups, int kh, int kw,
                                    int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                                    int fullH, int fullW, int cropTop, int cropLeft, int outH, int outW) {

    /** @param x input [N, C, H, W]; @param wShape [C, M/group, kH, kW] */
    public static ConvTransposeGeometry of(String node, Op.ConvTranspose op, int[] x, int[] wShape) {
        if (x.length != 4 || wShape.length != 4) {
            throw new ModelException("node '" + node + "' (ConvTranspose): only 2-D transposed convolution is supported");
        }
        var p = op.pads();
        Axis a = axis(node, x[2], wShape[2], op.strides().h(), op.dilations().h(), p.top(), p.bottom(), op.outputPadding().h());
        Axis b = axis(node, x[3], wShape[3], op.strides().w(), op.dilations().w(), p.left(), p.right(), op.outputPadding().w());
        return new ConvTransposeGeometry(x[0], x[1], x[2], x[3], wShape[1], op.group(), wShape[2], wShape[3],
                a.pad, b.pad, op.strides().h(), op.strides().w(), op.dilations().h(), op.dilations().w(),
                a.full, b.full, a.crop, b.crop, a.out, b.out);
    }

    private record Axis(int pad, int full, int crop, int out) {}

    private static Axis axis(String node, int in, int kernel, int stride, int dilation, int begin, int end, int outPad) {
        int span = (kernel - 1) * dilation + 1;
        int out = stride * (in - 1) + outPad + span - begin - end; // ONNX
        int pad = Math.min(begin, end);
        int extra = Math.max(0, outPad - (end - pad));
        if (extra >= stride) {
            throw new ModelException("node '" + node + "' (ConvTranspose): output_padding " + outPad
                    + " must be smaller than the stride " + stride + " on the CUDA backend");
        }
        int full = stride * (in - 1) + span - 2 * pad + extra;
        return new Axis(pad, full, begin - pad, out);
    }

    public int m() {
        return mPerGroup * groups;
    }

    public int[] filterDims() {
        return new int[] {cIn, mPerGroup, kh, kw};
    }

    /** The tensor cuDNN reads ("dy"): our input. */
    public int[] dyDims() {
        return new int[] {n, cIn, h, w};
    }

    /** The tensor cuDNN writes ("dx"): the uncropped output. */
    public int[] dxDims() {
        return new int[] {n, m(), fullH, fullW};
    }

    public int[] outputDims() {
        return new int[] {n, m(), outH, outW};
    }

    public boolean needsCrop() {
        return fullH != outH || fullW != outW || cropTop != 0 || cropLeft != 0;
    }
}
