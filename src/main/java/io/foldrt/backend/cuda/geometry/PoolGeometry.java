package io.foldrt.backend.cuda.geometry;

import io.foldrt.ir.Op;

/**
 * Arguments of the pool2d kernel for MaxPool, AveragePool and GlobalAveragePool. ceil_mode is already in
 * the output size from shape inference. Mode 0 max, 1 average counting the declared padding, 2 average over
 * real pixels only.
 */
public record PoolGeometry(long planes, int h, int w, int outH, int outW, int kh, int kw, int strideH, int strideW,
                           int padTop, int padLeft, int padBottom, int padRight, int dilationH, int dilationW,
                           int mode) {
    public static final int MAX = 0, AVERAGE_INCLUDE_PAD = 1, AVERAGE_EXCLUDE_PAD = 2;

    /** @param x input [N, C, H, W]; @param y output shape from shape inference */
    public static PoolGeometry of(Op op, int[] x, int[] y) {
        long planes = (long) x[0] * x[1];
        return switch (op) {
            case Op.MaxPool p -> new PoolGeometry(planes, x[2], x[3], y[2], y[3], p.kernel().h(), p.kernel().w(),
                    p.strides().h(), p.strides().w(), p.pads().top(), p.pads().left(), p.pads().bottom(),
                    p.pads().right(), p.dilations().h(), p.dilations().w(), MAX);
            case Op.AveragePool p -> new PoolGeometry(planes, x[2], x[3], y[2], y[3], p.kernel().h(), p.kernel().w(),
                    p.strides().h(), p.strides().w(), p.pads().top(), p.pads().left(), p.pads().bottom(),
                    p.pads().right(), 1, 1, p.countIncludePad() ? AVERAGE_INCLUDE_PAD : AVERAGE_EXCLUDE_PAD);
            case Op.GlobalAveragePool p -> new PoolGeometry(planes, x[2], x[3], 1, 1, x[2], x[3], 1, 1, 0, 0, 0, 0,
                    1, 1, AVERAGE_INCLUDE_PAD);
            default -> throw new IllegalArgumentException("not a pooling op: " + op.type());
        };
    }

    public long outputElements() {
        return planes * outH * outW;
    }
}
