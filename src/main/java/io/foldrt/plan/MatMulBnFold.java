package io.foldrt.plan;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.List;
import java.util.Optional;

/**
 * MatMul(A, W) with a constant 2-D W[K, N] → BatchNorm1d, becoming Gemm(A, W·s, b'). Only for a 2-D A:
 * with a 3-D A the BN's axis 1 is the sequence axis, not W's output column, even when the sizes agree.
 */
final class MatMulBnFold extends LayerBnFold {
    @Override
    public String name() {
        return "matmul+bn";
    }

    @Override
    boolean accepts(Op op) {
        return op instanceof Op.MatMul;
    }

    @Override
    FoldJob.Layout layout(Node layer, Tensor w) {
        return new FoldJob.Layout(w.dim(0), w.dim(1), 1, 1);
    }

    @Override
    Optional<String> layerRefusal(GraphIndex g, LayerBn m) {
        Node mm = m.layer();
        int[] w = g.constant(mm.input(1)).shape();
        if (w.length != 2) return Optional.of("MatMul weight '" + mm.input(1) + "' is " + Shapes.str(w) + ", not 2-D");
        int[] a = g.shape(mm.input(0));
        if (a.length != 2) {
            return Optional.of("MatMul input '" + mm.input(0) + "' is " + a.length
                    + "-D, so the BatchNorm's axis 1 is not the MatMul's output column");
        }
        return Optional.empty();
    }

    @Override
    Node folded(Node layer, String weight, String bias, String output) {
        return new Node(layer.name(), new Op.Gemm(1f, 1f, false, false, Activation.NONE),
                List.of(layer.input(0), weight, bias), List.of(output));
    }

    @Override
    String detail(LayerBn m) {
        return "folded into " + GraphIndex.describe(m.layer()) + ", which became a Gemm with bias";
    }
}
