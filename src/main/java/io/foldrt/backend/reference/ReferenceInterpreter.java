package io.foldrt.backend.reference;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The numeric oracle: runs a graph in float64 with the plainest loops that follow the ONNX definitions.
 * Slow on purpose-built simplicity; used by tests and by the planner's per-layer error report, never
 * for serving.
 */
public final class ReferenceInterpreter {
    private ReferenceInterpreter() {}

    /** A float64 tensor. */
    public record DTensor(int[] shape, double[] data) {
        public static DTensor of(Tensor t) {
            float[] f = t.data();
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            return new DTensor(t.shape(), d);
        }
    }

    public static Map<String, DTensor> run(Graph g, Map<String, Tensor> inputs) {
        Map<String, DTensor> in = new HashMap<>();
        for (var e : inputs.entrySet()) in.put(e.getKey(), DTensor.of(e.getValue()));
        return runDouble(g, in);
    }

    public static Map<String, DTensor> runDouble(Graph g, Map<String, DTensor> inputs) {
        int batch = 1;
        for (ValueInfo v : g.inputs()) {
            DTensor t = inputs.get(v.name());
            if (t == null && !g.initializers().containsKey(v.name())) {
                throw new ModelException("missing graph input '" + v.name() + "'");
            }
            // Only an input declared with a symbolic batch dim says what the batch is; static inputs do not.
            if (t != null && v.shape().length > 0 && v.shape()[0] == Shapes.BATCH) batch = t.shape()[0];
        }
        Map<String, int[]> shapes = ShapeInference.infer(g, batch);
        Map<String, DTensor> env = new HashMap<>();
        for (var e : g.initializers().entrySet()) env.put(e.getKey(), DTensor.of(e.getValue()));
        env.putAll(inputs);
        for (Node n : g.nodes()) {
            DTensor[] in = new DTensor[n.inputs().size()];
            for (int i = 0; i < in.length; i++) in[i] = n.input(i).isEmpty() ? null : env.get(n.input(i));
            int[] outShape = shapes.get(n.output());
            env.put(n.output(), new DTensor(outShape, eval(n, in, outShape)));
            if (n.op() instanceof Op.BatchNorm) {
                for (int i = 1; i < n.outputs().size() && i < 3; i++) env.put(n.outputs().get(i), in[2 + i]);
            }
        }
        Map<String, DTensor> out = new LinkedHashMap<>();
        for (ValueInfo v : g.outputs()) out.put(v.name(), env.get(v.name()));
        return out;
    }

    static double[] eval(Node n, DTensor[] in, int[] os) {
        return switch (n.op()) {
            case Op.Conv c -> conv(in, os, c);
            case Op.ConvTranspose c -> convTranspose(in, os, c);
            case Op.BatchNorm b -> batchNorm(in, b.epsilon());
            case Op.Gemm gm -> gemm(in, os, gm);
            case Op.MatMul m -> matMul(in, os);
            case Op.Add a -> broadcast(in[0], in[1], os, false);
            case Op.Mul m -> broadcast(in[0], in[1], os, true);
            case Op.Relu r -> map(in[0].data(), Activation.RELU);
            case Op.Clip c -> map(in[0].data(), Activation.clip(c.min(), c.max()));
            case Op.Sigmoid s -> {
                double[] x = in[0].data(), y = new double[x.length];
                for (int i = 0; i < x.length; i++) y[i] = 1 / (1 + Math.exp(-x[i]));
                yield y;
            }
            case Op.Identity i -> in[0].data().clone();
            case Op.Flatten f -> in[0].data().clone();
            case Op.Reshape r -> in[0].data().clone();
            case Op.Softmax s -> softmax(in[0], s);
            case Op.MaxPool p -> pool(in[0], os, p.kernel().h(), p.kernel().w(), p.strides().h(), p.strides().w(),
                    p.pads(), p.dilations().h(), p.dilations().w(), true, false);
            case Op.AveragePool p -> pool(in[0], os, p.kernel().h(), p.kernel().w(), p.strides().h(), p.strides().w(),
                    p.pads(), 1, 1, false, p.countIncludePad());
            case Op.GlobalAveragePool p -> {
                int[] s = in[0].shape();
                yield pool(in[0], os, s[2], s[3], 1, 1, Pads.NONE, 1, 1, false, true);
            }
            case Op.Concat c -> concat(in, os, c.axis());
        };
    }

    private static double[] map(double[] x, Activation a) {
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double v = x[i];
            y[i] = switch (a.kind()) {
                case NONE -> v;
                case RELU -> v < 0 ? 0 : v;
                case CLIP -> v < a.min() ? a.min() : (v > a.max() ? a.max() : v);
            };
        }
        return y;
    }

    private static double[] conv(DTensor[] in, int[] os, Op.Conv c) {
        int[] xs = in[0].shape(), ws = in[1].shape();
        double[] x = in[0].data(), w = in[1].data(), b = in.length > 2 && in[2] != null ? in[2].data() : null;
        int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        int m = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], g = c.group(), mg = m / g;
        int oh = os[2], ow = os[3];
        double[] y = new double[n * m * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int mi = 0; mi < m; mi++) {
                int gi = mi / mg;
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        double acc = b == null ? 0 : b[mi];
                        for (int ci = 0; ci < cg; ci++) {
                            int cx = gi * cg + ci;
                            for (int ky = 0; ky < kh; ky++) {
                                int iy = oy * c.strides().h() - c.pads().top() + ky * c.dilations().h();
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < kw; kx++) {
                                    int ix = ox * c.strides().w() - c.pads().left() + kx * c.dilations().w();
                                    if (ix < 0 || ix >= wd) continue;
                                    acc += x[((ni * cIn + cx) * h + iy) * wd + ix] * w[((mi * cg + ci) * kh + ky) * kw + kx];
                                }
                            }
                        }
                        y[((ni * m + mi) * oh + oy) * ow + ox] = acc;
                    }
            }
        return map(y, c.activation());
    }

    /** Scatter form of the transposed convolution: each input pixel adds W into the output window. */
    private static double[] convTranspose(DTensor[] in, int[] os, Op.ConvTranspose c) {
        int[] xs = in[0].shape(), ws = in[1].shape();
        double[] x = in[0].data(), w = in[1].data(), b = in.length > 2 && in[2] != null ? in[2].data() : null;
        int n = xs[0], cIn = xs[1], h = xs[2], wd = xs[3];
        int mg = ws[1], kh = ws[2], kw = ws[3], g = c.group(), cg = cIn / g, m = mg * g;
        int oh = os[2], ow = os[3];
        double[] y = new double[n * m * oh * ow];
        for (int ni = 0; ni < n; ni++)
            for (int ci = 0; ci < cIn; ci++) {
                int gi = ci / cg;
                for (int iy = 0; iy < h; iy++)
                    for (int ix = 0; ix < wd; ix++) {
                        double xv = x[((ni * cIn + ci) * h + iy) * wd + ix];
                        for (int mj = 0; mj < mg; mj++) {
                            int mo = gi * mg + mj;
                            for (int ky = 0; ky < kh; ky++) {
                                int oy = iy * c.strides().h() - c.pads().top() + ky * c.dilations().h();
                                if (oy < 0 || oy >= oh) continue;
                                for (int kx = 0; kx < kw; kx++) {
                                    int ox = ix * c.strides().w() - c.pads().left() + kx * c.dilations().w();
                                    if (ox < 0 || ox >= ow) continue;
                                    y[((ni * m + mo) * oh + oy) * ow + ox] += xv * w[((ci * mg + mj) * kh + ky) * kw + kx];
                                }
                            }
                        }
                    }
            }
        if (b != null) {
            int plane = oh * ow;
            for (int i = 0; i < y.length; i++) y[i] += b[(i / plane) % m];
        }
        return y;
    }

    private static double[] batchNorm(DTensor[] in, double eps) {
        int[] xs = in[0].shape();
        double[] x = in[0].data(), sc = in[1].data(), bi = in[2].data(), mu = in[3].data(), var = in[4].data();
        int c = xs[1];
        int inner = 1;
        for (int i = 2; i < xs.length; i++) inner *= xs[i];
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            int ch = (i / inner) % c;
            y[i] = (x[i] - mu[ch]) / Math.sqrt(var[ch] + eps) * sc[ch] + bi[ch];
        }
        return y;
    }

    private static double[] gemm(DTensor[] in, int[] os, Op.Gemm gm) {
        int[] as = in[0].shape(), bs = in[1].shape();
        double[] a = in[0].data(), b = in[1].data();
        int m = os[0], nn = os[1], k = gm.transA() ? as[0] : as[1];
        double[] y = new double[m * nn];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < nn; j++) {
                double acc = 0;
                for (int p = 0; p < k; p++) {
                    double av = gm.transA() ? a[p * as[1] + i] : a[i * as[1] + p];
                    double bv = gm.transB() ? b[j * bs[1] + p] : b[p * bs[1] + j];
                    acc += av * bv;
                }
                y[i * nn + j] = gm.alpha() * acc;
            }
        if (in.length > 2 && in[2] != null) {
            double[] cb = broadcastTo(in[2], os);
            for (int i = 0; i < y.length; i++) y[i] += gm.beta() * cb[i];
        }
        return map(y, gm.activation());
    }

    private static double[] matMul(DTensor[] in, int[] os) {
        int r = os.length, m = os[r - 2], nn = os[r - 1];
        int[] as = in[0].shape(), bs = in[1].shape();
        int k = as[as.length - 1];
        int batches = 1;
        for (int i = 0; i < r - 2; i++) batches *= os[i];
        double[] y = new double[batches * m * nn];
        for (int bi = 0; bi < batches; bi++) {
            int aOff = batchOffset(bi, os, as) * m * k;
            int bOff = batchOffset(bi, os, bs) * k * nn;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < nn; j++) {
                    double acc = 0;
                    for (int p = 0; p < k; p++) acc += in[0].data()[aOff + i * k + p] * in[1].data()[bOff + p * nn + j];
                    y[(bi * m + i) * nn + j] = acc;
                }
        }
        return y;
    }

    /** Index of matrix {@code flat} of the broadcast batch dims {@code os[:-2]} within operand shape {@code s}. */
    private static int batchOffset(int flat, int[] os, int[] s) {
        int lead = os.length - 2, sl = s.length - 2, idx = 0, stride = 1;
        for (int d = lead - 1; d >= 0; d--) {
            int coord = flat % os[d];
            flat /= os[d];
            int sd = d - (lead - sl);
            if (sd >= 0) {
                if (s[sd] != 1) idx += coord * stride;
                stride *= s[sd];
            }
        }
        return idx;
    }

    /** Expands {@code t} to {@code shape} by numpy broadcasting. */
    public static double[] broadcastTo(DTensor t, int[] shape) {
        int r = shape.length, total = 1;
        for (int d : shape) total *= d;
        int[] ts = t.shape();
        double[] out = new double[total];
        int[] coord = new int[r];
        for (int i = 0; i < total; i++) {
            int rem = i;
            for (int d = r - 1; d >= 0; d--) {
                coord[d] = rem % shape[d];
                rem /= shape[d];
            }
            int idx = 0;
            for (int d = 0; d < ts.length; d++) {
                int c = coord[d + r - ts.length];
                idx = idx * ts[d] + (ts[d] == 1 ? 0 : c);
            }
            out[i] = t.data()[idx];
        }
        return out;
    }

    private static double[] broadcast(DTensor a, DTensor b, int[] os, boolean mul) {
        double[] x = broadcastTo(a, os), y = broadcastTo(b, os);
        for (int i = 0; i < x.length; i++) x[i] = mul ? x[i] * y[i] : x[i] + y[i];
        return x;
    }

    private static double[] softmax(DTensor t, Op.Softmax s) {
        int[] xs = t.shape();
        int axis = s.axis() < 0 ? s.axis() + xs.length : s.axis();
        int outer = 1, len = 1, inner = 1;
        for (int i = 0; i < xs.length; i++) {
            if (i < axis) outer *= xs[i];
            else if (i == axis || s.coerce2d()) len *= xs[i];
            else inner *= xs[i];
        }
        double[] x = t.data(), y = new double[x.length];
        for (int o = 0; o < outer; o++)
            for (int in = 0; in < inner; in++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < len; j++) max = Math.max(max, x[(o * len + j) * inner + in]);
                double sum = 0;
                for (int j = 0; j < len; j++) sum += Math.exp(x[(o * len + j) * inner + in] - max);
                for (int j = 0; j < len; j++) {
                    int i = (o * len + j) * inner + in;
                    y[i] = Math.exp(x[i] - max) / sum;
                }
            }
        return y;
    }

    /**
     * Max or average pooling. Average divides by the number of window positions inside the padded input
     * (declared pads; a ceil_mode window may reach past them) when countIncludePad, else by the number of
     * real input pixels under the window (ONNX semantics).
     */
    private static double[] pool(DTensor t, int[] os, int kh, int kw, int sh, int sw, Pads pads, int dh, int dw,
                                 boolean max, boolean countPad) {
        int[] xs = t.shape();
        int n = xs[0], c = xs[1], h = xs[2], w = xs[3], oh = os[2], ow = os[3];
        int pt = pads.top(), pl = pads.left(), padBottom = pads.bottom(), padRight = pads.right();
        double[] x = t.data(), y = new double[n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double acc = max ? Double.NEGATIVE_INFINITY : 0;
                    int count = 0, padCount = 0;
                    for (int ky = 0; ky < kh; ky++) {
                        int iy = oy * sh - pt + ky * dh;
                        for (int kx = 0; kx < kw; kx++) {
                            int ix = ox * sw - pl + kx * dw;
                            boolean inPadded = iy >= -pt && iy < h + padBottom && ix >= -pl && ix < w + padRight;
                            if (inPadded) padCount++;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                            double v = x[(p * h + iy) * w + ix];
                            acc = max ? (v > acc || Double.isNaN(v) ? v : acc) : acc + v;
                            count++;
                        }
                    }
                    y[(p * oh + oy) * ow + ox] = max ? acc : acc / (countPad ? padCount : count);
                }
        return y;
    }

    private static double[] concat(DTensor[] in, int[] os, int axisArg) {
        int axis = axisArg < 0 ? axisArg + os.length : axisArg;
        int outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= os[i];
        for (int i = axis + 1; i < os.length; i++) inner *= os[i];
        int total = 1;
        for (int d : os) total *= d;
        double[] y = new double[total];
        int off = 0;
        for (DTensor t : in) {
            int len = t.shape()[axis] * inner;
            for (int o = 0; o < outer; o++) System.arraycopy(t.data(), o * len, y, o * os[axis] * inner + off, len);
            off += len;
        }
        return y;
    }
}
