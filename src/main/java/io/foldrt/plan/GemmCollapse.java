package io.foldrt.plan;

import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Two Gemms with nothing between (what Linear → BN → Linear leaves after the BN is folded) become one:
 * Y2 = a2·(a1·op(A)·op(W1) + b1)·op(W2) + c2 = op(A)·(a1·a2·op(W1)·op(W2)) + (a2·b1·op(W2) + c2),
 * multiplied out in float64 (the weight product by the {@link FoldEngine}) and stored as a Linear (transB) weight [N2, K] with bias [N2].
 */
final class GemmCollapse implements Rewrite<GemmCollapse.Pair> {
    /** Multiply-adds allowed at plan time (about a second of float64 work on one core). */
    static final long MAX_PLAN_MACS = 1L << 28;

    /** {@code first} feeds {@code second}'s input A. */
    record Pair(Node first, Node second) {}

    @Override
    public String name() {
        return "gemm·gemm collapse";
    }

    @Override
    public Optional<Pair> match(GraphIndex g, Node first) {
        if (!(first.op() instanceof Op.Gemm)) return Optional.empty();
        for (Node r : g.readers(first.output())) {
            if (r.op() instanceof Op.Gemm && r.input(0).equals(first.output())) return Optional.of(new Pair(first, r));
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> refusal(GraphIndex g, Pair p) {
        Node a = p.first(), b = p.second();
        return Guards.first(
                () -> Guards.privateEdge(g, a.output(), b),
                () -> Guards.noFusedActivation(a),
                () -> ((Op.Gemm) b.op()).transA()
                        ? Optional.of(GraphIndex.describe(b) + " transposes its input A") : Optional.empty(),
                () -> Guards.ownedConstant(g, a.input(1), a, "weight"),
                () -> Guards.ownedConstant(g, b.input(1), b, "weight"),
                () -> GemmBias.refusal(g, a, dims(g, a)[1]),
                () -> GemmBias.refusal(g, b, dims(g, b)[1]),
                () -> costRefusal(g, p));
    }

    /** Collapsing must not make the model bigger, nor planning slow. */
    private static Optional<String> costRefusal(GraphIndex g, Pair p) {
        long k = dims(g, p.first())[0], n1 = dims(g, p.first())[1], n2 = dims(g, p.second())[1];
        if (k * n2 > k * n1 + n1 * n2) {
            return Optional.of("merged weight " + k + "x" + n2 + " would be larger than " + k + "x" + n1 + " + "
                    + n1 + "x" + n2);
        }
        if (k * n1 * n2 > MAX_PLAN_MACS) {
            return Optional.of("merging takes " + k * n1 * n2 + " multiply-adds at plan time (limit " + MAX_PLAN_MACS + ")");
        }
        return Optional.empty();
    }

    /** {K, N} of a Gemm's weight operand as the Gemm uses it. */
    private static int[] dims(GraphIndex g, Node gemm) {
        Tensor w = g.constant(gemm.input(1));
        return ((Op.Gemm) gemm.op()).transB() ? new int[] {w.dim(1), w.dim(0)} : new int[] {w.dim(0), w.dim(1)};
    }

    /**
     * The merged Gemm, its weight and bias added to {@code ed}; call only on an unrefused match. The weight
     * product goes through {@code engine}: the merged [N2, K] weight is (op(W1)·op(W2))ᵀ = op'(W2)·op'(W1)
     * scaled by a1·a2, where op' flips each Gemm's transB. The bias a2·b1·op(W2) + c2 is an N1·N2 product,
     * computed here on the host in float64.
     */
    Node apply(GraphIndex g, Pair p, GraphEditor ed, FoldEngine engine) {
        Node a = p.first(), b = p.second();
        Op.Gemm ga = (Op.Gemm) a.op(), gb = (Op.Gemm) b.op();
        int k = dims(g, a)[0], n1 = dims(g, a)[1], n2 = dims(g, b)[1];
        Tensor t1 = g.constant(a.input(1)), t2 = g.constant(b.input(1));
        double alpha = (double) ga.alpha() * gb.alpha();
        Tensor product = engine.multiply(t2, !gb.transB(), t1, !ga.transB(), alpha);
        if (product.shape().length != 2 || product.dim(0) != n2 || product.dim(1) != k) {
            throw new IllegalStateException(engine.name() + " returned a product of shape "
                    + Arrays.toString(product.shape()) + ", expected [" + n2 + ", " + k + "]");
        }
        float[] w = product.data(), w2 = t2.data();
        double[] b1 = GemmBias.perColumn(g, a, n1), c2 = GemmBias.perColumn(g, b, n2);
        float[] bias = new float[n2];
        for (int n = 0; n < n2; n++) {
            double acc = 0;
            for (int j = 0; j < n1; j++) acc += b1[j] * (gb.transB() ? w2[n * n1 + j] : w2[j * n2 + n]);
            bias[n] = (float) (gb.alpha() * acc + c2[n]);
        }
        String wName = ed.addConstant(a.name() + "+" + b.name() + ".weight", new Tensor(new int[] {n2, k}, w));
        String bName = ed.addConstant(a.name() + "+" + b.name() + ".bias", Tensor.of(new int[] {n2}, bias));
        Op.Gemm merged = new Op.Gemm(1f, 1f, ga.transA(), true, gb.activation());
        return new Node(ed.fresh(a.name() + "+" + b.name()), merged, List.of(a.input(0), wName, bName), b.outputs());
    }
}
