package io.foldrt.testing;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Shapes;

/** Small graphs for runtime and CLI tests (the real model zoo lives on another branch). */
public final class TestModels {
    private TestModels() {}

    /** x[N,3,8,8] -> Conv -> BatchNorm -> Relu -> GlobalAveragePool -> Flatten -> Linear(5). */
    public static Graph tinyCnn() {
        GraphBuilder b = new GraphBuilder("tiny_cnn", 7);
        String x = b.input("x", Shapes.BATCH, 3, 8, 8);
        x = b.relu(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        b.output(b.linear(b.flatten(b.globalAveragePool(x)), 5, true));
        return b.build();
    }

    /** Inputs a[N,4] and b[N,4]; outputs fc1_out = Linear(a + b) [N,3] and relu1_out = Relu(a) [N,4]. */
    public static Graph twoInputs() {
        GraphBuilder b = new GraphBuilder("two_inputs", 11);
        String a = b.input("a", Shapes.BATCH, 4);
        String c = b.input("b", Shapes.BATCH, 4);
        b.output(b.linear(b.add(a, c), 3, true));
        b.output(b.relu(a));
        return b.build();
    }
}
