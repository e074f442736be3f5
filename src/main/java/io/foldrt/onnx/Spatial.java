package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import io.foldrt.ir.Hw;
import io.foldrt.ir.Pads;
import java.util.Arrays;

/**
 * Reads the 2-D window attributes shared by Conv, ConvTranspose and the pools (kernel_shape, strides,
 * dilations, pads, auto_pad) and turns auto_pad into explicit pads from the static spatial input size.
 */
final class Spatial {
    private Spatial() {}

    /** A 2-element INTS attribute of positive values, or {@code dflt} when absent. */
    static Hw pair(NodeView n, String name, Hw dflt, int min) {
        long[] v = n.attrs.ints(name);
        if (v == null) return dflt;
        if (v.length != 2) {
            throw n.fail("attribute '" + name + "' is " + Arrays.toString(v) + "; expected 2 values (FoldRT supports 2-D only)");
        }
        return new Hw(bounded(n, name, v[0], min), bounded(n, name, v[1], min));
    }

    /** kernel_shape, which must agree with the weight's spatial dims when both are known. */
    static Hw kernel(NodeView n, int[] weightShape) {
        Hw fromW = weightShape == null ? null : new Hw(weightShape[2], weightShape[3]);
        Hw attr = pair(n, "kernel_shape", null, 1);
        if (attr == null) {
            if (fromW == null) throw n.fail("attribute 'kernel_shape' is missing");
            return fromW;
        }
        if (fromW != null && !attr.equals(fromW)) {
            throw n.fail("kernel_shape " + attr + " does not match the weight's spatial dims " + fromW);
        }
        return attr;
    }

    /** Explicit pads [top, left, bottom, right]: zero when absent. */
    static Pads explicitPads(NodeView n) {
        long[] p = n.attrs.ints("pads");
        if (p == null) return Pads.NONE;
        if (p.length != 4) {
            throw n.fail("attribute 'pads' is " + Arrays.toString(p) + "; expected 4 values [top, left, bottom, right]");
        }
        return new Pads(bounded(n, "pads", p[0], 0), bounded(n, "pads", p[1], 0),
                bounded(n, "pads", p[2], 0), bounded(n, "pads", p[3], 0));
    }

    enum AutoPad { NOTSET, SAME_UPPER, SAME_LOWER, VALID }

    static AutoPad autoPad(NodeView n) {
        String s = n.attrs.s("auto_pad", "NOTSET");
        for (AutoPad a : AutoPad.values()) if (a.name().equals(s)) return a;
        throw n.fail("attribute 'auto_pad' is " + q(s) + "; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID");
    }

    /**
     * Pads of a sliding window (Conv, pools). SAME_* pads so that out = ceil(in / stride); an odd total goes
     * to the end for SAME_UPPER and to the beginning for SAME_LOWER.
     */
    static Pads windowPads(NodeView n, int[] x, Hw k, Hw s, Hw d) {
        AutoPad a = autoPad(n);
        return switch (a) {
            case NOTSET -> explicitPads(n);
            case VALID -> Pads.NONE;
            case SAME_UPPER, SAME_LOWER -> {
                int th = small(n, sameTotal(x[2], k.h(), s.h(), d.h()));
                int tw = small(n, sameTotal(x[3], k.w(), s.w(), d.w()));
                boolean upper = a == AutoPad.SAME_UPPER;
                int top = upper ? th / 2 : th - th / 2, left = upper ? tw / 2 : tw - tw / 2;
                yield new Pads(top, left, th - top, tw - left);
            }
        };
    }

    private static long sameTotal(int in, int k, int s, int d) {
        long out = (in + (long) s - 1) / s;
        return Math.max(0, (out - 1) * s + (long) (k - 1) * d + 1 - in);
    }

    private static int small(NodeView n, long padding) {
        if (padding > 1 << 20) throw n.fail("the window needs " + padding + " elements of padding; at most " + (1 << 20));
        return (int) padding;
    }

    /**
     * Pads of ConvTranspose, given the explicit output_padding. With output_shape or SAME_*, the total
     * padding is what makes the output that size (in * stride for SAME_*). It is split as the current ONNX
     * text and ONNX Runtime split it: an odd element goes to the end for SAME_UPPER and to the beginning
     * otherwise, also for NOTSET with output_shape (older ONNX texts said the opposite).
     */
    static Pads transposePads(NodeView n, int[] x, Hw k, Hw s, Hw d, Hw outPad) {
        AutoPad a = autoPad(n);
        long[] outShape = n.attrs.ints("output_shape");
        int th, tw;
        if (outShape != null) {
            if (outShape.length != 2 && outShape.length != 4) {
                throw n.fail("attribute 'output_shape' is " + Arrays.toString(outShape) + "; expected [H, W] or [N, C, H, W]");
            }
            int off = outShape.length - 2;
            th = requestedTotal(n, x[2], k.h(), s.h(), d.h(), outPad.h(), outShape[off]);
            tw = requestedTotal(n, x[3], k.w(), s.w(), d.w(), outPad.w(), outShape[off + 1]);
        } else if (a == AutoPad.SAME_UPPER || a == AutoPad.SAME_LOWER) {
            // A negative total (kernel smaller than stride) means no padding, as in ONNX Runtime.
            th = small(n, Math.max(0, transposeTotal(x[2], k.h(), s.h(), d.h(), outPad.h(), (long) x[2] * s.h())));
            tw = small(n, Math.max(0, transposeTotal(x[3], k.w(), s.w(), d.w(), outPad.w(), (long) x[3] * s.w())));
        } else {
            return a == AutoPad.VALID ? Pads.NONE : explicitPads(n);
        }
        boolean upper = a == AutoPad.SAME_UPPER;
        int top = upper ? th / 2 : th - th / 2, left = upper ? tw / 2 : tw - tw / 2;
        return new Pads(top, left, th - top, tw - left);
    }

    /** Padding that makes a transposed convolution produce {@code out}; negative if {@code out} is too large. */
    private static long transposeTotal(int in, int k, int s, int d, int adj, long out) {
        return (long) (in - 1) * s + adj + (long) (k - 1) * d + 1 - out;
    }

    private static int requestedTotal(NodeView n, int in, int k, int s, int d, int adj, long out) {
        long total = transposeTotal(in, k, s, d, adj, out);
        if (out <= 0 || total < 0) {
            throw n.fail("attribute 'output_shape' asks for " + out + " along an axis where the output can be 1 to "
                    + (total + out) + " long");
        }
        return small(n, total);
    }

    private static int bounded(NodeView n, String name, long v, int min) {
        if (v < min || v > 1 << 20) {
            throw n.fail("attribute " + q(name) + " has value " + v + "; expected " + min + " to " + (1 << 20));
        }
        return (int) v;
    }
}
