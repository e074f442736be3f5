package io.foldrt.ir;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Builds graphs in code, with seeded random weights (He-scaled) and non-trivial BatchNorm statistics
 * (mean != 0, var != 1, gamma != 1, beta != 0). Used by the model zoo and by tests.
 *
 * <pre>
 * var b = new GraphBuilder("tiny", 42);
 * String x = b.input("x", Shapes.BATCH, 3, 32, 32);
 * x = b.relu(b.batchNorm(b.conv(x, 16, 3, 1, 1)));
 * b.output(b.flatten(b.globalAveragePool(x)));
 * Graph g = b.build();
 * </pre>
 */
public final class GraphBuilder {
    private final String name;
    private final SplittableRandom rng;
    private final List<ValueInfo> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final Map<String, Tensor> inits = new LinkedHashMap<>();
    private final Map<String, int[]> shapes = new HashMap<>(); // at batch 1, to size new layers
    private final Map<String, Integer> counters = new HashMap<>();

    public GraphBuilder(String name, long seed) {
        this.name = name;
        this.rng = new SplittableRandom(seed);
    }

    public SplittableRandom rng() {
        return rng;
    }

    /** Shape of a value at batch 1. */
    public int[] shape(String value) {
        return shapes.get(value).clone();
    }

    public String input(String n, int... shape) {
        inputs.add(new ValueInfo(n, shape));
        shapes.put(n, Shapes.bind(shape, 1));
        return n;
    }

    public String constant(String n, Tensor t) {
        inits.put(n, t);
        shapes.put(n, t.shape());
        return n;
    }

    public void output(String value) {
        outputs.add(value);
    }

    /** Adds a node with a generated name and one output; returns the output name. */
    public String node(Op op, String... in) {
        String n = fresh(op.type().toLowerCase());
        return node(n, op, List.of(in), List.of(n + "_out"));
    }

    public String node(String nodeName, Op op, List<String> in, List<String> out) {
        Node node = new Node(nodeName, op, in, out);
        int[][] s = new int[in.size()][];
        for (int i = 0; i < s.length; i++) s[i] = in.get(i).isEmpty() ? null : shapes.get(in.get(i));
        int[] o = ShapeInference.outputShape(node, s);
        nodes.add(node);
        shapes.put(out.get(0), o);
        return out.get(0);
    }

    public String fresh(String prefix) {
        int i = counters.merge(prefix, 1, Integer::sum);
        return prefix + i;
    }

    // ---- layers with generated weights ----

    public String conv(String x, int outC, int k, int stride, int pad) {
        return conv(x, outC, k, k, Hw.of(stride), Pads.of(pad), Hw.ONE, 1, true);
    }

    public String conv(String x, int outC, int kh, int kw, Hw stride, Pads pads, Hw dilation, int group,
                       boolean bias) {
        int inC = shapes.get(x)[1];
        String p = fresh("conv");
        double std = Math.sqrt(2.0 / (inC / group * kh * kw));
        String w = constant(p + ".weight", gaussian(std, outC, inC / group, kh, kw));
        List<String> in = new ArrayList<>(List.of(x, w));
        if (bias) in.add(constant(p + ".bias", Tensor.random(rng, -0.1f, 0.1f, outC)));
        return node(p, new Op.Conv(stride, pads, dilation, group, Activation.NONE), in, List.of(p + "_out"));
    }

    public String convTranspose(String x, int outC, int k, Hw stride, Pads pads, Hw outputPadding, int group,
                                boolean bias) {
        int inC = shapes.get(x)[1];
        String p = fresh("deconv");
        String w = constant(p + ".weight", gaussian(Math.sqrt(2.0 / (inC * k * k / group)), inC, outC / group, k, k));
        List<String> in = new ArrayList<>(List.of(x, w));
        if (bias) in.add(constant(p + ".bias", Tensor.random(rng, -0.1f, 0.1f, outC)));
        return node(p, new Op.ConvTranspose(stride, pads, Hw.ONE, group, outputPadding), in, List.of(p + "_out"));
    }

    /** BatchNorm with random, clearly non-identity statistics. */
    public String batchNorm(String x) {
        return batchNorm(x, true, 1e-5);
    }

    /** With affine=false the scale is all ones and the shift all zeros (as PyTorch exports it). */
    public String batchNorm(String x, boolean affine, double eps) {
        int c = shapes.get(x)[1];
        float[] gamma = new float[c], beta = new float[c], mean = new float[c], var = new float[c];
        for (int i = 0; i < c; i++) {
            gamma[i] = affine ? (float) (0.5 + rng.nextDouble()) * (rng.nextBoolean() ? 1 : -1) : 1f;
            beta[i] = affine ? (float) (rng.nextDouble() - 0.5) : 0f;
            mean[i] = (float) (rng.nextDouble() - 0.5) * 0.4f;
            var[i] = (float) (0.5 + rng.nextDouble());
        }
        return batchNorm(x, Tensor.of(new int[] {c}, gamma), Tensor.of(new int[] {c}, beta),
                Tensor.of(new int[] {c}, mean), Tensor.of(new int[] {c}, var), eps);
    }

    public String batchNorm(String x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, double eps) {
        String p = fresh("bn");
        List<String> in = List.of(x, constant(p + ".weight", gamma), constant(p + ".bias", beta),
                constant(p + ".running_mean", mean), constant(p + ".running_var", var));
        return node(p, new Op.BatchNorm(eps), in, List.of(p + "_out"));
    }

    /** PyTorch Linear as Gemm(transB=1): W is [outF, inF]. */
    public String linear(String x, int outF, boolean bias) {
        int inF = shapes.get(x)[1];
        String p = fresh("fc");
        String w = constant(p + ".weight", gaussian(Math.sqrt(1.0 / inF), outF, inF));
        List<String> in = new ArrayList<>(List.of(x, w));
        if (bias) in.add(constant(p + ".bias", Tensor.random(rng, -0.1f, 0.1f, outF)));
        return node(p, new Op.Gemm(1f, 1f, false, true, Activation.NONE), in, List.of(p + "_out"));
    }

    /** MatMul with a constant right operand [inF, outF]. */
    public String matMul(String x, int outF) {
        int[] s = shapes.get(x);
        int inF = s[s.length - 1];
        String w = constant(fresh("matmul_w"), gaussian(Math.sqrt(1.0 / inF), inF, outF));
        return node(new Op.MatMul(), x, w);
    }

    public String relu(String x) { return node(new Op.Relu(), x); }
    public String relu6(String x) { return node(new Op.Clip(0f, 6f), x); }
    public String sigmoid(String x) { return node(new Op.Sigmoid(), x); }
    public String identity(String x) { return node(new Op.Identity(), x); }
    public String add(String a, String b) { return node(new Op.Add(), a, b); }
    public String mul(String a, String b) { return node(new Op.Mul(), a, b); }
    public String softmax(String x, int axis) { return node(new Op.Softmax(axis, false), x); }
    public String globalAveragePool(String x) { return node(new Op.GlobalAveragePool(), x); }
    public String flatten(String x) { return node(new Op.Flatten(1), x); }

    public String maxPool(String x, int k, int stride, int pad) {
        return node(new Op.MaxPool(Hw.of(k), Hw.of(stride), Pads.of(pad), Hw.ONE, false), x);
    }

    public String averagePool(String x, int k, int stride, int pad) {
        return node(new Op.AveragePool(Hw.of(k), Hw.of(stride), Pads.of(pad), false, true), x);
    }

    public String concat(int axis, String... xs) {
        return node(new Op.Concat(axis), xs);
    }

    public String reshape(String x, long... shape) {
        List<Long> s = new ArrayList<>();
        for (long v : shape) s.add(v);
        return node(new Op.Reshape(s, false), x);
    }

    public Tensor gaussian(double std, int... shape) {
        float[] d = new float[Math.toIntExact(Shapes.elementCount(shape))];
        for (int i = 0; i < d.length; i++) d[i] = (float) (nextGaussian() * std);
        return new Tensor(shape, d);
    }

    private double nextGaussian() {
        double u = rng.nextDouble(), v = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    public Graph build() {
        List<ValueInfo> outs = new ArrayList<>();
        for (String o : outputs) {
            int[] s = shapes.get(o).clone();
            if (s.length > 0 && !inputs.isEmpty() && inputs.get(0).shape().length > 0
                    && inputs.get(0).shape()[0] == Shapes.BATCH) {
                s[0] = Shapes.BATCH;
            }
            outs.add(new ValueInfo(o, s));
        }
        return new Graph(name, inputs, outs, nodes, inits);
    }
}
