package io.foldrt.plan;

import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.List;

/**
 * ConvTranspose → BN. W is [C, M/g, kh, kw]: the output channel is W's dim 1 within each of the g groups
 * along dim 0 (scaling dim 0 instead is the classic silent bug).
 */
final class ConvTransposeBnFold extends LayerBnFold {
    @Override
    public String name() {
        return "convtranspose+bn";
    }

    @Override
    boolean accepts(Op op) {
        return op instanceof Op.ConvTranspose;
    }

    @Override
    FoldJob.Layout layout(Node layer, Tensor w) {
        int g = ((Op.ConvTranspose) layer.op()).group();
        return new FoldJob.Layout(w.dim(0), w.dim(1), w.dim(2) * w.dim(3), g);
    }

    @Override
    Node folded(Node layer, String weight, String bias, String output) {
        return new Node(layer.name(), layer.op(), List.of(layer.input(0), weight, bias), List.of(output));
    }
}
