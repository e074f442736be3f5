package io.foldrt.plan;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * Gemm (Linear) → BatchNorm1d. Y = alpha·op(A)·op(B) + beta·C with B the weight, transB either way.
 * BN(Y) = alpha·op(A)·op(B·s) + ((beta·C − mean)·s + bn_beta): alpha stays on the folded Gemm, so the
 * weight is scaled by s alone; beta·C becomes the bias the engine folds (with beta = 1 on the result).
 * C must be the same for every row (per output channel or scalar), since a BN bias cannot vary by row.
 */
final class GemmBnFold extends LayerBnFold {
    @Override
    public String name() {
        return "gemm+bn";
    }

    @Override
    boolean accepts(Op op) {
        return op instanceof Op.Gemm;
    }

    @Override
    FoldJob.Layout layout(Node layer, Tensor w) {
        boolean transB = ((Op.Gemm) layer.op()).transB();
        // transB: W[N, K], a row per output channel; else W[K, N], output channel is the column.
        return transB ? new FoldJob.Layout(1, w.dim(0), w.dim(1), 1) : new FoldJob.Layout(w.dim(0), w.dim(1), 1, 1);
    }

    @Override
    Optional<String> layerRefusal(GraphIndex g, LayerBn m) {
        return GemmBias.refusal(g, m.layer(), g.shape(m.layer().output())[1]);
    }

    /** beta·C spread to [N]; one float32 rounding of beta·C when beta != 1 (relative 6e-8). */
    @Override
    Tensor bias(GraphIndex g, Node layer) {
        if (layer.input(2).isEmpty()) return null;
        double[] b = GemmBias.perColumn(g, layer, g.shape(layer.output())[1]);
        float[] f = new float[b.length];
        for (int j = 0; j < b.length; j++) f[j] = (float) b[j];
        return Tensor.of(new int[] {b.length}, f);
    }

    @Override
    Node folded(Node layer, String weight, String bias, String output) {
        Op.Gemm gm = (Op.Gemm) layer.op();
        return new Node(layer.name(), new Op.Gemm(gm.alpha(), 1f, gm.transA(), gm.transB(), Activation.NONE),
                List.of(layer.input(0), weight, bias), List.of(output));
    }
}
