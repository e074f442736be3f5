package io.foldrt.ir;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes the concrete shape of every value of a graph for one batch size, checking each node's
 * operands on the way. Errors name the node and what was expected.
 */
public final class ShapeInference {
    private ShapeInference() {}

    public static Map<String, int[]> infer(Graph g, int batch) {
        if (batch <= 0) throw new ModelException("batch must be positive, got " + batch);
        Map<String, int[]> shapes = new HashMap<>();
        for (var e : g.initializers().entrySet()) shapes.put(e.getKey(), e.getValue().shape());
        for (ValueInfo v : g.inputs()) {
            if (!g.initializers().containsKey(v.name())) shapes.put(v.name(), Shapes.bind(v.shape(), batch));
        }
        for (Node n : g.nodes()) {
            int[][] in = new int[n.inputs().size()][];
            for (int i = 0; i < in.length; i++) {
                String name = n.inputs().get(i);
                in[i] = name.isEmpty() ? null : shapes.get(name);
            }
            int[] out = outputShape(n, in);
            shapes.put(n.output(), out);
            if (n.op() instanceof Op.BatchNorm) {
                // Optional extra outputs of an inference-mode BN carry the running statistics through.
                for (int i = 1; i < n.outputs().size(); i++) {
                    if (!n.outputs().get(i).isEmpty()) shapes.put(n.outputs().get(i), new int[] {out[1]});
                }
            } else if (n.outputs().size() > 1) {
                throw fail(n, "has " + n.outputs().size() + " outputs; one was expected");
            }
        }
        for (ValueInfo v : g.outputs()) {
            int[] declared = v.shape();
            int[] actual = shapes.get(v.name());
            if (declared.length > 0 && !compatible(declared, actual, batch)) {
                throw new ModelException("graph output '" + v.name() + "' is declared " + Shapes.str(declared)
                        + " but computes to " + Arrays.toString(actual));
            }
        }
        return shapes;
    }

    private static boolean compatible(int[] declared, int[] actual, int batch) {
        if (declared.length != actual.length) return false;
        for (int i = 0; i < declared.length; i++) {
            int d = declared[i] == Shapes.BATCH ? batch : declared[i];
            if (d != actual[i] && declared[i] != 0) return false; // 0 = unknown in the declaration
        }
        return true;
    }

    /** Output shape of node {@code n} given its input shapes (null for an omitted optional input). */
    public static int[] outputShape(Node n, int[][] in) {
        try {
            return compute(n, in);
        } catch (ArithmeticException e) { // a dimension or element count beyond int/long range
            throw fail(n, "output shape overflows (" + e.getMessage() + ")");
        }
    }

    private static int[] compute(Node n, int[][] in) {
        return switch (n.op()) {
            case Op.Conv c -> conv(n, c, in);
            case Op.ConvTranspose c -> convTranspose(n, c, in);
            case Op.BatchNorm b -> batchNorm(n, in);
            case Op.Gemm gm -> gemm(n, gm, in);
            case Op.MatMul m -> matMul(n, in);
            case Op.Add a -> broadcast(n, in);
            case Op.Mul m -> broadcast(n, in);
            case Op.Relu r -> unary(n, in);
            case Op.Clip c -> unary(n, in);
            case Op.Sigmoid s -> unary(n, in);
            case Op.Identity i -> unary(n, in);
            case Op.Softmax s -> {
                int[] x = unary(n, in);
                normAxis(n, s.axis(), x.length);
                yield x;
            }
            case Op.MaxPool p -> pool(n, in, p.kernel(), p.strides(), p.pads(), p.dilations(), p.ceilMode());
            case Op.AveragePool p -> pool(n, in, p.kernel(), p.strides(), p.pads(), Hw.ONE, p.ceilMode());
            case Op.GlobalAveragePool p -> {
                int[] x = rank(n, in, 0, 4, "X");
                yield new int[] {x[0], x[1], 1, 1};
            }
            case Op.Flatten f -> flatten(n, f, in);
            case Op.Reshape r -> reshape(n, r, in);
            case Op.Concat c -> concat(n, c, in);
        };
    }

    private static ModelException fail(Node n, String what) {
        return new ModelException("node '" + n.name() + "' (" + n.op().type() + "): " + what);
    }

    private static int[] need(Node n, int[][] in, int i, String what) {
        if (i >= in.length || in[i] == null) throw fail(n, "missing input " + i + " (" + what + ")");
        return in[i];
    }

    private static int[] rank(Node n, int[][] in, int i, int rank, String what) {
        int[] s = need(n, in, i, what);
        if (s.length != rank) {
            throw fail(n, "input " + i + " (" + what + ") must be " + rank + "-D, got " + Arrays.toString(s));
        }
        return s;
    }

    private static int normAxis(Node n, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw fail(n, "axis " + axis + " is out of range for rank " + rank);
        return a;
    }

    private static void checkBias(Node n, int[][] in, int channels) {
        if (in.length > 2 && in[2] != null && (in[2].length != 1 || in[2][0] != channels)) {
            throw fail(n, "bias must be [" + channels + "], got " + Arrays.toString(in[2]));
        }
    }

    private static int[] conv(Node n, Op.Conv c, int[][] in) {
        int[] x = rank(n, in, 0, 4, "X");
        int[] w = rank(n, in, 1, 4, "W");
        int g = c.group();
        if (x[1] != w[1] * g) {
            throw fail(n, "X has " + x[1] + " channels but W " + Arrays.toString(w) + " with group " + g
                    + " expects " + (w[1] * g));
        }
        if (w[0] % g != 0) throw fail(n, "W's " + w[0] + " output channels are not divisible by group " + g);
        checkBias(n, in, w[0]);
        int oh = window(n, x[2], w[2], c.strides().h(), c.pads().top(), c.pads().bottom(), c.dilations().h(), false);
        int ow = window(n, x[3], w[3], c.strides().w(), c.pads().left(), c.pads().right(), c.dilations().w(), false);
        return new int[] {x[0], w[0], oh, ow};
    }

    private static int[] convTranspose(Node n, Op.ConvTranspose c, int[][] in) {
        int[] x = rank(n, in, 0, 4, "X");
        int[] w = rank(n, in, 1, 4, "W");
        int g = c.group();
        if (x[1] != w[0]) throw fail(n, "X has " + x[1] + " channels but W " + Arrays.toString(w) + " expects " + w[0]);
        if (w[0] % g != 0) throw fail(n, "W's " + w[0] + " input channels are not divisible by group " + g);
        int m = w[1] * g;
        checkBias(n, in, m);
        int oh = c.strides().h() * (x[2] - 1) + c.outputPadding().h() + (w[2] - 1) * c.dilations().h() + 1
                - c.pads().top() - c.pads().bottom();
        int ow = c.strides().w() * (x[3] - 1) + c.outputPadding().w() + (w[3] - 1) * c.dilations().w() + 1
                - c.pads().left() - c.pads().right();
        if (oh <= 0 || ow <= 0) throw fail(n, "output would be empty (" + oh + "x" + ow + ")");
        return new int[] {x[0], m, oh, ow};
    }

    private static int[] batchNorm(Node n, int[][] in) {
        int[] x = need(n, in, 0, "X");
        if (x.length < 2) throw fail(n, "X must have a channel axis, got " + Arrays.toString(x));
        String[] names = {"X", "scale", "B", "mean", "var"};
        for (int i = 1; i < 5; i++) {
            int[] p = need(n, in, i, names[i]);
            if (p.length != 1 || p[0] != x[1]) {
                throw fail(n, names[i] + " must be [" + x[1] + "], got " + Arrays.toString(p));
            }
        }
        return x.clone();
    }

    private static int[] gemm(Node n, Op.Gemm gm, int[][] in) {
        int[] a = rank(n, in, 0, 2, "A");
        int[] b = rank(n, in, 1, 2, "B");
        int m = gm.transA() ? a[1] : a[0];
        int k = gm.transA() ? a[0] : a[1];
        int kb = gm.transB() ? b[1] : b[0];
        int nn = gm.transB() ? b[0] : b[1];
        if (k != kb) throw fail(n, "inner dimensions differ: A gives K=" + k + ", B gives K=" + kb);
        int[] out = {m, nn};
        if (in.length > 2 && in[2] != null) {
            int[] bc = Shapes.broadcast(out, in[2]);
            if (bc == null || !Arrays.equals(bc, out)) {
                throw fail(n, "C " + Arrays.toString(in[2]) + " does not broadcast to " + Arrays.toString(out));
            }
        }
        return out;
    }

    private static int[] matMul(Node n, int[][] in) {
        int[] a = need(n, in, 0, "A");
        int[] b = need(n, in, 1, "B");
        if (a.length < 2 || b.length < 2) throw fail(n, "operands must be at least 2-D");
        int k = a[a.length - 1];
        if (k != b[b.length - 2]) {
            throw fail(n, "inner dimensions differ: " + Arrays.toString(a) + " x " + Arrays.toString(b));
        }
        int[] batchA = Arrays.copyOf(a, a.length - 2);
        int[] batchB = Arrays.copyOf(b, b.length - 2);
        int[] lead = Shapes.broadcast(batchA, batchB);
        if (lead == null) throw fail(n, "batch dims do not broadcast");
        int[] out = Arrays.copyOf(lead, lead.length + 2);
        out[lead.length] = a[a.length - 2];
        out[lead.length + 1] = b[b.length - 1];
        return out;
    }

    private static int[] broadcast(Node n, int[][] in) {
        int[] a = need(n, in, 0, "A");
        int[] b = need(n, in, 1, "B");
        int[] out = Shapes.broadcast(a, b);
        if (out == null) throw fail(n, Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
        return out;
    }

    private static int[] unary(Node n, int[][] in) {
        return need(n, in, 0, "X").clone();
    }

    /** Output length of a sliding window (conv or pool) along one axis. */
    static int window(Node n, int size, int kernel, int stride, int padBegin, int padEnd, int dilation, boolean ceil) {
        if (stride <= 0 || dilation <= 0 || kernel <= 0) {
            throw fail(n, "kernel, stride and dilation must be positive");
        }
        int span = (kernel - 1) * dilation + 1;
        int padded = size + padBegin + padEnd;
        if (padded < span) throw fail(n, "window " + span + " is larger than the padded input " + padded);
        int out = ceil ? (int) Math.ceil((padded - span) / (double) stride) + 1 : (padded - span) / stride + 1;
        // The last window must start inside the input or the leading padding (ONNX/PyTorch ceil_mode rule).
        if (ceil && (long) (out - 1) * stride >= size + padBegin) out--;
        return out;
    }

    private static int[] pool(Node n, int[][] in, Hw k, Hw s, Pads p, Hw d, boolean ceil) {
        int[] x = rank(n, in, 0, 4, "X");
        int oh = window(n, x[2], k.h(), s.h(), p.top(), p.bottom(), d.h(), ceil);
        int ow = window(n, x[3], k.w(), s.w(), p.left(), p.right(), d.w(), ceil);
        return new int[] {x[0], x[1], oh, ow};
    }

    private static int[] flatten(Node n, Op.Flatten f, int[][] in) {
        int[] x = need(n, in, 0, "X");
        int axis = f.axis() < 0 ? f.axis() + x.length : f.axis();
        if (axis < 0 || axis > x.length) throw fail(n, "axis " + f.axis() + " is out of range for rank " + x.length);
        long a = 1, b = 1;
        for (int i = 0; i < x.length; i++) {
            if (i < axis) a *= x[i]; else b *= x[i];
        }
        return new int[] {Math.toIntExact(a), Math.toIntExact(b)};
    }

    private static int[] reshape(Node n, Op.Reshape r, int[][] in) {
        int[] x = need(n, in, 0, "data");
        List<Long> target = r.shape();
        int[] out = new int[target.size()];
        long known = 1;
        int infer = -1;
        for (int i = 0; i < out.length; i++) {
            long t = target.get(i);
            if (t == -1) {
                if (infer >= 0) throw fail(n, "shape " + target + " has more than one -1");
                infer = i;
                continue;
            }
            if (t == 0 && !r.allowZero()) {
                if (i >= x.length) throw fail(n, "shape " + target + " copies dim " + i + " the input does not have");
                t = x[i];
            }
            if (t < 0) throw fail(n, "shape " + target + " has a negative entry");
            out[i] = Math.toIntExact(t);
            known *= t;
        }
        long total = Shapes.elementCount(x);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) {
                throw fail(n, "cannot reshape " + Arrays.toString(x) + " to " + target);
            }
            out[infer] = Math.toIntExact(total / known);
        } else if (known != total) {
            throw fail(n, "cannot reshape " + Arrays.toString(x) + " (" + total + " values) to " + target);
        }
        return out;
    }

    private static int[] concat(Node n, Op.Concat c, int[][] in) {
        int[] first = need(n, in, 0, "input 0");
        int axis = normAxis(n, c.axis(), first.length);
        int[] out = first.clone();
        for (int i = 1; i < in.length; i++) {
            int[] s = need(n, in, i, "input " + i);
            if (s.length != first.length) throw fail(n, "inputs have different ranks");
            for (int d = 0; d < s.length; d++) {
                if (d != axis && s[d] != first[d]) {
                    throw fail(n, "input " + i + " " + Arrays.toString(s) + " differs from " + Arrays.toString(first)
                            + " outside axis " + axis);
                }
            }
            out[axis] += s[axis];
        }
        return out;
    }
}
