package io.foldrt.backend.cuda.geometry;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Op;

/**
 * The cuDNN view of a Conv node. cuDNN pads symmetrically, ONNX may not: the symmetric part
 * min(begin, end) goes to the convolution descriptor and the remainder is padded explicitly beforehand
 * (a pad kernel into scratch memory), which gives exactly ONNX's output size and values.
 *
 * @param n,c,h,w        the input as the graph has it
 * @param k,cPerGroup    filter dims K and C/group; with kh, kw the filter is [k, cPerGroup, kh, kw]
 * @param padH,padW      the symmetric padding given to cuDNN
 * @param prePadTop..    explicit zero padding added before the convolution (0 when pads are symmetric)
 * @param outH,outW      cuDNN's output size, equal to ONNX's
 */
public record ConvGeometry(int n, int c, int h, int w, int k, int cPerGroup, int kh, int kw, int groups,
                           int padH, int padW, int strideH, int strideW, int dilationH, int dilationW,
                           int prePadTop, int prePadLeft, int prePadBottom, int prePadRight, int outH, int outW) {

    /** @param x input shape [N, C, H, W]; @param wShape filter shape [M, C/group, kH, kW] */
    public static ConvGeometry of(String node, Op.Conv op, int[] x, int[] wShape) {
        if (x.length != 4 || wShape.length != 4) throw new ModelException("node '" + node + "' (Conv): only 2-D convolution is supported");
        var p = op.pads();
        int padH = Math.min(p.top(), p.bottom()), padW = Math.min(p.left(), p.right());
        int preTop = p.top() - padH, preBottom = p.bottom() - padH, preLeft = p.left() - padW, preRight = p.right() - padW;
        int hp = x[2] + preTop + preBottom, wp = x[3] + preLeft + preRight;
        int oh = forwardOut(hp, padH, wShape[2], op.strides().h(), op.dilations().h());
        int ow = forwardOut(wp, padW, wShape[3], op.strides().w(), op.dilations().w());
        return new ConvGeometry(x[0], x[1], x[2], x[3], wShape[0], wShape[1], wShape[2], wShape[3], op.group(),
                padH, padW, op.strides().h(), op.strides().w(), op.dilations().h(), op.dilations().w(),
                preTop, preLeft, preBottom, preRight, oh, ow);
    }

    /** cuDNN's forward output length: (in + 2*pad - ((kernel-1)*dilation+1)) / stride + 1. */
    public static int forwardOut(int in, int pad, int kernel, int stride, int dilation) {
        return (in + 2 * pad - ((kernel - 1) * dilation + 1)) / stride + 1;
    }

    public boolean needsPrePad() {
        return prePadTop != 0 || prePadLeft != 0 || prePadBottom != 0 || prePadRight != 0;
    }

    /** The input cuDNN convolves: the graph's input, or the explicitly padded copy. */
    public int[] cudnnInputDims() {
        return new int[] {n, c, h + prePadTop + prePadBottom, w + prePadLeft + prePadRight};
    }

    public int[] filterDims() {
        return new int[] {k, cPerGroup, kh, kw};
    }

    public int[] outputDims() {
        return new int[] {n, k, outH, outW};
    }
}
