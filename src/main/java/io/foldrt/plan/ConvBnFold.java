package io.foldrt.plan;

import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.List;

/** Conv → BN, with or without conv bias, any group count (W's dim 0 is always the output channel). */
final class ConvBnFold extends LayerBnFold {
    @Override
    public String name() {
        return "conv+bn";
    }

    @Override
    boolean accepts(Op op) {
        return op instanceof Op.Conv;
    }

    @Override
    FoldJob.Layout layout(Node layer, Tensor w) {
        // W[M, C/g, kh, kw]: one row of C/g*kh*kw weights per output channel, also when grouped.
        return new FoldJob.Layout(1, w.dim(0), w.size() / w.dim(0), 1);
    }

    @Override
    Node folded(Node layer, String weight, String bias, String output) {
        return new Node(layer.name(), layer.op(), List.of(layer.input(0), weight, bias), List.of(output));
    }

    @Override
    String detail(LayerBn m) {
        int g = ((Op.Conv) m.layer().op()).group();
        return super.detail(m) + (g > 1 ? " (group " + g + ")" : "");
    }
}
