package io.foldrt.plan;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * BatchNorm → Conv, folded into the conv's input channels: conv(s·x + t) = conv'(x) with
 * W'[m,c,..] = W[m,c,..]·s[c] and b'[m] = b[m] + Σ W[m,c,..]·t[c] (c the input channel of m's group).
 * Exact only without padding: a padded border is zeros after the BN, which W'·0 cannot reproduce.
 * Computed here in float64: the bias is a reduction over input channels, outside the engine's contract.
 */
final class BnConvFold implements Rewrite<BnConvFold.Pair> {

    record Pair(Node bn, Node conv) {}

    @Override
    public String name() {
        return "bn+conv (input channels)";
    }

    @Override
    public Optional<Pair> match(GraphIndex g, Node bn) {
        if (!(bn.op() instanceof Op.BatchNorm)) return Optional.empty();
        for (Node r : g.readers(bn.output())) {
            if (r.op() instanceof Op.Conv && r.input(0).equals(bn.output())) return Optional.of(new Pair(bn, r));
        }
        return Optional.empty();
    }

    @Override
    public Optional<String> refusal(GraphIndex g, Pair p) {
        Node bn = p.bn(), conv = p.conv();
        Op.Conv c = (Op.Conv) conv.op();
        return Guards.first(
                () -> Guards.inferenceForm(bn),
                () -> Guards.constantStats(g, bn),
                () -> Guards.privateEdge(g, bn.output(), conv),
                () -> c.pads().isZero() ? Optional.empty()
                        : Optional.of("the following " + GraphIndex.describe(conv) + " pads its input " + c.pads()
                                + ": padded zeros would not be shifted by the BN"),
                () -> Guards.ownedConstant(g, conv.input(1), conv, "weight"),
                () -> conv.input(2).isEmpty() ? Optional.empty()
                        : Guards.ownedConstant(g, conv.input(2), conv, "bias"));
    }

    /** The conv with the BN folded into its input channels; its weight and bias are added to {@code ed}. */
    Node apply(GraphIndex g, Pair p, GraphEditor ed) {
        Node bn = p.bn(), conv = p.conv();
        BnAffine a = BnAffine.of("BatchNorm '" + bn.name() + "'",
                List.of(bn.input(1), bn.input(2), bn.input(3), bn.input(4)), g.constant(bn.input(1)),
                g.constant(bn.input(2)), g.constant(bn.input(3)), g.constant(bn.input(4)),
                ((Op.BatchNorm) bn.op()).epsilon());
        Tensor wt = g.constant(conv.input(1));
        float[] w = wt.data(), wOut = new float[w.length];
        int m = wt.dim(0), cg = wt.dim(1), taps = wt.dim(2) * wt.dim(3);
        int mPerGroup = m / ((Op.Conv) conv.op()).group();
        float[] b = conv.input(2).isEmpty() ? null : g.constant(conv.input(2)).data();
        float[] bOut = new float[m];
        for (int mi = 0, i = 0; mi < m; mi++) {
            int firstIn = (mi / mPerGroup) * cg; // input channels of this output channel's group
            double acc = b == null ? 0 : b[mi];
            for (int c = 0; c < cg; c++) {
                double s = a.scale()[firstIn + c], t = a.shift()[firstIn + c];
                for (int k = 0; k < taps; k++, i++) {
                    wOut[i] = (float) (w[i] * s);
                    acc += w[i] * t;
                }
            }
            bOut[mi] = (float) acc;
        }
        requireFinite(conv, wOut);
        requireFinite(conv, bOut);
        String wName = ed.addConstant(conv.input(1) + "_folded", new Tensor(wt.shape(), wOut));
        String bBase = conv.input(2).isEmpty() ? conv.name() + ".bias" : conv.input(2);
        String bName = ed.addConstant(bBase + "_folded", Tensor.of(new int[] {m}, bOut));
        return new Node(conv.name(), conv.op(), List.of(bn.input(0), wName, bName), conv.outputs());
    }

    private static void requireFinite(Node conv, float[] d) {
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new ModelException("folding a BatchNorm into the input of '" + conv.name() + "' gives "
                        + d[i] + " at index " + i + " (float32 overflow or a non-finite weight)");
            }
        }
    }
}
