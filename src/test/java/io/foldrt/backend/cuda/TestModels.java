package io.foldrt.backend.cuda;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.List;

/** Small models that together use every IR op, for the gpu-tagged tests. */
final class TestModels {
    private TestModels() {}

    /** Conv/BN/ReLU, depthwise with ReLU6, grouped, asymmetric pads, residual, pools, concat, linear, softmax. */
    static Graph convNet() {
        var b = new GraphBuilder("convnet", 21);
        String x = b.input("x", Shapes.BATCH, 3, 20, 20);
        String s = b.relu(b.batchNorm(b.conv(x, 16, 3, 1, 1)));
        String dw = b.relu6(b.batchNorm(b.conv(s, 16, 3, 3, Hw.of(2), Pads.of(1), Hw.ONE, 16, false)));
        String g2 = b.batchNorm(b.conv(dw, 16, 1, 1, Hw.ONE, Pads.NONE, Hw.ONE, 2, true));
        String asym = b.relu(b.batchNorm(b.conv(g2, 16, 3, 3, Hw.ONE, new Pads(1, 2, 3, 2), Hw.of(2), 1, false)));
        String res = b.relu(b.add(asym, b.identity(g2)));
        String mp = b.node(new Op.MaxPool(Hw.of(3), Hw.of(2), new Pads(1, 1, 1, 1), Hw.ONE, true), res);
        String ap = b.node(new Op.AveragePool(Hw.of(3), Hw.of(2), new Pads(1, 1, 1, 1), true, false), res);
        String cat = b.concat(1, mp, ap);
        String flat = b.flatten(b.globalAveragePool(cat));
        String fc = b.relu(b.batchNorm(b.linear(flat, 24, true)));
        b.output(b.softmax(b.linear(fc, 10, true), 1));
        return b.build();
    }

    /** ConvTranspose (grouped, output padding, asymmetric pads) with BN, a squeeze-excite gate, clip. */
    static Graph deconvNet() {
        var b = new GraphBuilder("deconvnet", 22);
        String x = b.input("x", Shapes.BATCH, 4, 7, 7);
        String c = b.relu(b.batchNorm(b.conv(x, 8, 3, 1, 1)));
        String up = b.relu(b.batchNorm(b.convTranspose(c, 8, 3, Hw.of(2), Pads.of(1), Hw.of(1), 2, true)));
        String up2 = b.batchNorm(b.convTranspose(up, 6, 2, Hw.of(2), new Pads(0, 1, 1, 0), Hw.ZERO, 1, false));
        String gate = b.sigmoid(b.conv(b.globalAveragePool(up2), 6, 1, 1, 0));
        String se = b.mul(up2, gate);
        b.output(b.node(new Op.Clip(-0.5f, 0.75f), se));
        return b.build();
    }

    /** MatMul (folded batch and broadcast batch), Gemm with transA, alpha, beta and a full C, Reshape, softmax axis. */
    static Graph matmulNet() {
        var b = new GraphBuilder("matmulnet", 23);
        String x = b.input("x", 2, 4, 8);
        String y = b.input("y", 2, 3, 6, 5);
        String m = b.matMul(x, 6);                                         // [2,4,8] x [8,6]: one GEMM
        String mm = b.node(new Op.MatMul(), b.reshape(m, 2, 1, 4, 6), y); // [2,1,4,6] x [2,3,6,5] -> [2,3,4,5]
        String flat = b.reshape(mm, 8, 15);
        String c = b.constant("C", Tensor.random(b.rng(), -1, 1, 8, 1));
        String w = b.constant("Wt", Tensor.random(b.rng(), -1, 1, 8, 15));
        String gm = b.node("gemm_t", new Op.Gemm(0.5f, 2f, true, true, io.foldrt.ir.Activation.NONE),
                List.of(b.reshape(flat, 15, 8), w, c), List.of("gemm_out"));
        b.output(b.node(new Op.Softmax(1, true), b.reshape(gm, 2, 4, 2, 4)));
        b.output(b.node(new Op.Softmax(-1, false), mm));
        return b.build();
    }
}
