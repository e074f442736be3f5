package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Broadcasting Add/Mul, unary ops, Softmax, shape views, Concat and the separate BatchNorm path against the
 * reference; tolerance in {@link Oracle}.
 */
class ElementwiseTest {

    private static Graph binary(Op op, int[] as, int[] bs, boolean constB) {
        var b = new GraphBuilder("bin", 21);
        String x = b.input("a", as);
        String y = constB ? b.constant("b", Tensor.random(b.rng(), -2f, 2f, bs)) : b.input("b", bs);
        b.output(b.node(op, x, y));
        return b.build();
    }

    @Test
    void addAndMulBroadcasting() {
        int[][][] cases = {
            {{2, 3, 5, 7}, {2, 3, 5, 7}},   // residual add
            {{2, 3, 5, 7}, {1, 3, 1, 1}},   // per channel
            {{2, 3, 5, 7}, {3, 1, 1}},      // per channel, lower rank
            {{2, 3, 5, 7}, {7}},            // along the last dim
            {{1}, {4, 3}},                  // scalar on the left
            {{4, 1, 6}, {1, 5, 1}},         // both sides broadcast
            {{3, 1}, {1, 9}},               // outer product shape
            {{2, 3, 4}, {}},                // rank-0 operand
        };
        for (Op op : new Op[] {new Op.Add(), new Op.Mul()}) {
            for (int[][] c : cases) {
                Oracle.check(binary(op, c[0], c[1], false));
                Oracle.check(binary(op, c[1], c[0], true));
            }
        }
    }

    @Test
    void addOrMulFollowedByActivationIsOnePass() {
        for (Op op : new Op[] {new Op.Add(), new Op.Mul()}) {
            var b = new GraphBuilder("binact", 22);
            String x = b.input("x", Shapes.BATCH, 3, 5, 7);
            String y = b.constant("y", Tensor.random(b.rng(), -1f, 1f, 1, 3, 1, 1));
            b.output(b.node(new Op.Clip(-0.25f, 0.5f), b.node(op, x, y)));
            Graph g = b.build();
            Oracle.check(g, 2, 2);
            assertEquals(1, ConvTest.stepCount(g));
        }
    }

    @Test
    void unaryOps() {
        for (Op op : new Op[] {new Op.Relu(), new Op.Clip(-0.3f, 0.6f), new Op.Clip(0f, 6f), new Op.Sigmoid()}) {
            var b = new GraphBuilder("unary", 2);
            String x = b.input("x", Shapes.BATCH, 3, 17, 9);
            // scale the input so Clip(0, 6) and Sigmoid see their whole range
            String scaled = b.mul(x, b.constant("s", Tensor.of(new int[] {1}, 8f)));
            b.output(b.node(op, scaled));
            Oracle.check(b.build(), 2, 2);
        }
    }

    @Test
    void softmaxBothModes() {
        int[] shape = {2, 3, 4, 5};
        for (boolean coerce : new boolean[] {false, true}) {
            for (int axis : new int[] {0, 1, 3, -1, -3}) {
                var b = new GraphBuilder("softmax", 4);
                String x = b.input("x", shape);
                String big = b.mul(x, b.constant("s", Tensor.of(new int[] {1}, 20f))); // large logits
                b.output(b.node(new Op.Softmax(axis, coerce), big));
                Oracle.check(b.build());
            }
        }
    }

    @Test
    void reshapeFlattenIdentityAreViews() {
        var b = new GraphBuilder("views", 6);
        String x = b.input("x", 2, 3, 4, 5);
        String r1 = b.node(new Op.Reshape(List.of(0L, -1L, 5L), false), x);         // 0 copies dim 0
        String r2 = b.node(new Op.Reshape(List.of(6L, 20L), true), r1);             // allowZero, no zeros
        String f = b.node(new Op.Flatten(-2), b.relu(b.node(new Op.Reshape(List.of(2L, 3L, 20L), false), r2)));
        String id = b.identity(f);
        b.output(b.add(id, id));
        b.output(b.node(new Op.Flatten(0), x)); // graph output that views a graph input: copied
        Graph g = b.build();
        Oracle.check(g);
        assertEquals(2, ConvTest.stepCount(g)); // relu + add: every view is free
    }

    @Test
    void reshapeWithZeroSizedAllowZero() {
        var b = new GraphBuilder("zero", 6);
        String x = b.input("x", 1, 0, 4);
        b.output(b.node(new Op.Reshape(List.of(0L, 4L), true), x)); // with allowZero, 0 is a real size
        Oracle.check(b.build());
    }

    @Test
    void concatAlongEachAxis() {
        for (int axis : new int[] {0, 1, 2, -1}) {
            var b = new GraphBuilder("concat", 9);
            int[] s1 = {2, 3, 4, 5}, s2 = s1.clone(), s3 = s1.clone();
            int a = axis < 0 ? axis + 4 : axis;
            s2[a] = 1;
            s3[a] = 6;
            String x = b.input("x", s1), y = b.input("y", s2);
            b.output(b.concat(axis, x, b.constant("c", Tensor.random(b.rng(), -1f, 1f, s3)), y));
            Oracle.check(b.build());
        }
    }

    @Test
    void batchNormSeparatePath() {
        var b = new GraphBuilder("bn", 12);
        String x = b.input("x", Shapes.BATCH, 6, 7, 9);
        b.output(b.batchNorm(x));
        Oracle.check(b.build(), 3, 2);

        var c = new GraphBuilder("bn2d", 12);
        String v = c.input("x", Shapes.BATCH, 10);
        c.output(c.batchNorm(v, false, 1e-3));
        Oracle.check(c.build(), 4, 2);
    }

    @Test
    void batchNormFollowedByActivationIsOnePass() {
        for (boolean relu : new boolean[] {true, false}) {
            var b = new GraphBuilder("bnact", 13);
            String x = b.input("x", Shapes.BATCH, 5, 8, 8);
            String bn = b.batchNorm(x);
            b.output(relu ? b.relu(bn) : b.node(new Op.Clip(-0.4f, 0.5f), bn));
            Graph g = b.build();
            Oracle.check(g, 2, 2);
            assertEquals(1, ConvTest.stepCount(g));
        }
        var c = new GraphBuilder("bnout", 13); // BN output is also a graph output: not fused
        String x = c.input("x", Shapes.BATCH, 5, 8, 8);
        String bn = c.batchNorm(x);
        c.output(c.relu(bn));
        c.output(bn);
        Oracle.check(c.build());
        assertEquals(2, ConvTest.stepCount(c.build()));
    }

    @Test
    void batchNormExtraOutputsAndRuntimeStatistics() {
        var b = new GraphBuilder("bnx", 14);
        String[] p = new String[4];
        String[] names = {"gamma", "beta", "mean", "var"};
        for (int i = 0; i < 4; i++) {
            p[i] = b.input(names[i], 4);
        }
        // Declared last: ReferenceInterpreter takes the batch size from the last graph input's first dim.
        String x = b.input("x", Shapes.BATCH, 4, 3, 3);
        b.node("bn", new Op.BatchNorm(1e-5), List.of(x, p[0], p[1], p[2], p[3]),
                List.of("y", "mean_out", "var_out"));
        Graph one = b.build();
        List<ValueInfo> outs = List.of(new ValueInfo("y", new int[] {Shapes.BATCH, 4, 3, 3}), new ValueInfo("mean_out", new int[] {4}),
                new ValueInfo("var_out", new int[] {4}));
        Graph g = new Graph("bnx", one.inputs(), outs, one.nodes(), one.initializers());
        // var must stay positive: feed it separately from the [-1, 1) inputs
        var in = Oracle.inputs(g, 2, 5);
        in.put("var", Tensor.random(new java.util.SplittableRandom(3), 0.5f, 1.5f, 4));
        try (CpuBackend cpu = new CpuBackend(2); CpuExecutable exe = cpu.compile(g, 2)) {
            var got = exe.run(in);
            var ref = io.foldrt.backend.reference.ReferenceInterpreter.run(g, in);
            for (String o : List.of("y", "mean_out", "var_out")) Oracle.compare(o, ref.get(o), got.get(o));
        }
    }
}
