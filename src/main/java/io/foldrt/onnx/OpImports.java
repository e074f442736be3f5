package io.foldrt.onnx;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The converters of {@link OpTable}: ONNX attributes and constant operands to IR ops, with ONNX defaults. */
final class OpImports {
    private OpImports() {}

    /** An op without attributes whose first {@code arity} inputs are all data. */
    static OpTable.Mapped plain(NodeView n, Op op, int arity) {
        return new OpTable.Mapped(op, inputs(n, arity));
    }

    static OpTable.Mapped conv(NodeView n) {
        int[] x = n.shape(0, 4, "X");
        int[] w = n.shape(1, 4, "W");
        Hw k = Spatial.kernel(n, w);
        Hw s = Spatial.pair(n, "strides", Hw.ONE, 1);
        Hw d = Spatial.pair(n, "dilations", Hw.ONE, 1);
        int group = n.attrs.i("group", 1, 1, Integer.MAX_VALUE);
        Pads p = Spatial.windowPads(n, x, k, s, d);
        return new OpTable.Mapped(new Op.Conv(s, p, d, group, Activation.NONE), inputs(n, 3));
    }

    static OpTable.Mapped convTranspose(NodeView n) {
        int[] x = n.shape(0, 4, "X");
        int[] w = n.shape(1, 4, "W");
        Hw k = Spatial.kernel(n, w);
        Hw s = Spatial.pair(n, "strides", Hw.ONE, 1);
        Hw d = Spatial.pair(n, "dilations", Hw.ONE, 1);
        Hw outPad = Spatial.pair(n, "output_padding", Hw.ZERO, 0);
        int group = n.attrs.i("group", 1, 1, Integer.MAX_VALUE);
        Pads p = Spatial.transposePads(n, x, k, s, d, outPad);
        return new OpTable.Mapped(new Op.ConvTranspose(s, p, d, group, outPad), inputs(n, 3));
    }

    static OpTable.Mapped batchNorm(NodeView n) {
        if (n.attrs.i("training_mode", 0, 0, 1) == 1) {
            throw n.fail("training_mode=1 computes batch statistics; FoldRT runs inference only "
                    + "(export the model in eval mode)");
        }
        // epsilon and momentum are FLOAT attributes; momentum only matters for training.
        n.attrs.f("momentum", 0.9f);
        double eps = n.attrs.f("epsilon", 1e-5f);
        if (!(eps >= 0) || Double.isInfinite(eps)) throw n.fail("attribute 'epsilon' is " + eps + "; expected a finite value >= 0");
        return new OpTable.Mapped(new Op.BatchNorm(eps), inputs(n, 5));
    }

    static OpTable.Mapped gemm(NodeView n) {
        if (n.opset < 11 && n.input(2).isEmpty()) throw n.fail("input 2 (C) is missing; it is optional only from opset 11 on");
        float alpha = n.attrs.f("alpha", 1f), beta = n.attrs.f("beta", 1f);
        boolean ta = n.attrs.flag("transA"), tb = n.attrs.flag("transB");
        return new OpTable.Mapped(new Op.Gemm(alpha, beta, ta, tb, Activation.NONE), inputs(n, 3));
    }

    /** Opset < 11: bounds are attributes; from 11 on, optional constant inputs. Missing bounds are infinite. */
    static OpTable.Mapped clip(NodeView n) {
        float min = Float.NEGATIVE_INFINITY, max = Float.POSITIVE_INFINITY;
        if (n.opset < 11) {
            if (!n.input(1).isEmpty() || !n.input(2).isEmpty()) {
                throw n.fail("has min/max inputs, which Clip takes only from opset 11 on (this model is opset " + n.opset + ")");
            }
            min = n.attrs.f("min", min);
            max = n.attrs.f("max", max);
        } else {
            if (n.attrs.has("min") || n.attrs.has("max")) {
                throw n.fail("has min/max attributes, which Clip takes only before opset 11 (this model is opset " + n.opset + ")");
            }
            Tensor lo = n.floatConstant(1, "min"), hi = n.floatConstant(2, "max");
            if (lo != null) min = scalar(n, lo, "min");
            if (hi != null) max = scalar(n, hi, "max");
        }
        if (Float.isNaN(min) || Float.isNaN(max)) throw n.fail("min or max is NaN");
        return new OpTable.Mapped(new Op.Clip(min, max), inputs(n, 1));
    }

    /** Opset < 13 views the input as 2-D around axis (default 1); from 13 on, one axis (default -1). */
    static OpTable.Mapped softmax(NodeView n) {
        boolean coerce = n.opset < 13;
        int axis = axis(n, n.attrs.i("axis", coerce ? 1 : -1, -64, 64), n.shape(0), 0);
        return new OpTable.Mapped(new Op.Softmax(axis, coerce), inputs(n, 1));
    }

    static OpTable.Mapped maxPool(NodeView n) {
        int[] x = n.shape(0, 4, "X");
        n.attrs.i("storage_order", 0, 0, 1); // only affects the Indices output, which is refused by the importer
        Hw k = Spatial.kernel(n, null);
        Hw s = Spatial.pair(n, "strides", Hw.ONE, 1);
        Hw d = Spatial.pair(n, "dilations", Hw.ONE, 1);
        Pads p = Spatial.windowPads(n, x, k, s, d);
        return new OpTable.Mapped(new Op.MaxPool(k, s, p, d, n.attrs.flag("ceil_mode")), inputs(n, 1));
    }

    static OpTable.Mapped averagePool(NodeView n) {
        int[] x = n.shape(0, 4, "X");
        Hw k = Spatial.kernel(n, null);
        Hw s = Spatial.pair(n, "strides", Hw.ONE, 1);
        Hw d = Spatial.pair(n, "dilations", Hw.ONE, 1);
        if (!d.equals(Hw.ONE)) throw n.fail("dilations " + d + " are not supported for AveragePool (1x1 only)");
        Pads p = Spatial.windowPads(n, x, k, s, d);
        boolean ceil = n.attrs.flag("ceil_mode"), countPad = n.attrs.flag("count_include_pad");
        return new OpTable.Mapped(new Op.AveragePool(k, s, p, ceil, countPad), inputs(n, 1));
    }

    static OpTable.Mapped flatten(NodeView n) {
        return new OpTable.Mapped(new Op.Flatten(axis(n, n.attrs.i("axis", 1, -64, 64), n.shape(0), 1)), inputs(n, 1));
    }

    static OpTable.Mapped reshape(NodeView n) {
        long[] shape = n.int64Constant(1, "shape");
        if (shape.length > 64) throw n.fail("shape has " + shape.length + " entries; at most 64 dims are supported");
        List<Long> s = new ArrayList<>();
        for (long v : shape) s.add(v);
        return new OpTable.Mapped(new Op.Reshape(s, n.attrs.flag("allowzero")), inputs(n, 1));
    }

    static OpTable.Mapped concat(NodeView n) {
        if (!n.attrs.has("axis")) throw n.fail("attribute 'axis' is missing");
        return new OpTable.Mapped(new Op.Concat(axis(n, n.attrs.i("axis", 0, -64, 64), n.shape(0), 0)), inputs(n, Integer.MAX_VALUE));
    }

    /**
     * Checks an axis against the input rank r: [-r, r - 1], or [-r, r] for Flatten ({@code extra} = 1).
     * Negative axes are defined from opset 11 on; older models that use one anyway (ONNX Runtime accepts
     * them) get the equivalent positive axis, so that what is imported is also what an export writes.
     */
    private static int axis(NodeView n, int axis, int[] shape, int extra) {
        if (shape == null) return axis; // a missing input is reported by shape inference
        int r = shape.length;
        if (axis < -r || axis > r - 1 + extra) {
            throw n.fail("attribute 'axis' is " + axis + "; expected " + -r + " to " + (r - 1 + extra) + " for a rank-" + r + " input");
        }
        return axis < 0 && n.opset < 11 ? axis + r : axis;
    }

    private static float scalar(NodeView n, Tensor t, String role) {
        if (t.size() != 1) throw n.fail(role + " must be a scalar, got shape " + Arrays.toString(t.shape()));
        return t.data()[0];
    }

    /** The node's first {@code count} inputs, without trailing omitted ones. */
    private static List<String> inputs(NodeView n, int count) {
        int end = Math.min(count, n.inputCount());
        while (end > 0 && n.input(end - 1).isEmpty()) end--;
        List<String> l = new ArrayList<>(end);
        for (int i = 0; i < end; i++) l.add(n.input(i));
        return l;
    }
}
