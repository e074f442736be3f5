package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Gemm and MatMul variants against the reference; tolerance in {@link Oracle}. */
class GemmTest {

    /**
     * Gemm with A as graph input x of shape aShape; B and C constants (or, with runtime=true, graph inputs).
     * cShape null means no C.
     */
    private static Graph gemm(Op.Gemm op, int[] aShape, int[] bShape, int[] cShape, boolean runtime) {
        var b = new GraphBuilder("gemm", 17);
        String a = b.input("a", aShape);
        List<String> in = new ArrayList<>(List.of(a));
        in.add(runtime ? b.input("b", bShape) : b.constant("b", Tensor.random(b.rng(), -1f, 1f, bShape)));
        if (cShape != null) in.add(runtime ? b.input("c", cShape) : b.constant("c", Tensor.random(b.rng(), -1f, 1f, cShape)));
        b.output(b.node("g", op, in, List.of("y")));
        return b.build();
    }

    private static Op.Gemm op(float alpha, float beta, boolean ta, boolean tb) {
        return new Op.Gemm(alpha, beta, ta, tb, Activation.NONE);
    }

    @Test
    void linearLayerShapes() {
        // PyTorch Linear: A [batch, in], B [out, in] with transB, C [out].
        Oracle.check(gemm(op(1, 1, false, true), new int[] {1, 37}, new int[] {300, 37}, new int[] {300}, false));
        Oracle.check(gemm(op(1, 1, false, true), new int[] {7, 300}, new int[] {45, 300}, new int[] {45}, false));
        // 1000 outputs: two NR column blocks, the second partial (ResNet classifier shape)
        Oracle.check(gemm(op(1, 1, false, true), new int[] {2, 64}, new int[] {1000, 64}, new int[] {1000}, false));
    }

    @Test
    void oneRowAgainstConstantWeightsAsGemv() {
        // m = 1 with a constant B: VectorGemv on the vector kernel. Widths around its 4-vector blocks, odd and
        // one-element depths, both transposes, alpha, beta with C of several shapes, a run-time C, activations.
        int block = MicroKernel.vectorAvailable() ? VectorGemv.BLOCK : 64;
        for (int n : new int[] {1, block - 1, block, block + 1, 1000}) {
            for (int k : new int[] {1, 2, 37, 1280}) {
                Oracle.check(gemm(op(1, 1, false, true), new int[] {1, k}, new int[] {n, k}, new int[] {n}, false));
            }
        }
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int k = 19, n = 133;
                int[] as = ta ? new int[] {k, 1} : new int[] {1, k};
                int[] bs = tb ? new int[] {n, k} : new int[] {k, n};
                Oracle.check(gemm(op(0.7f, -1.3f, ta, tb), as, bs, new int[] {1, n}, false));
                Oracle.check(gemm(op(0.7f, -1.3f, ta, tb), as, bs, new int[] {1}, false));
                Oracle.check(gemm(op(1f, 1f, ta, tb), as, bs, null, false));
            }
        }
        // A run-time C is added after the GEMV; a run-time B takes the GEMM path.
        var g = new GraphBuilder("gemvc", 19);
        String a = g.input("a", 1, 50), c = g.input("c", 70);
        String w = g.constant("w", Tensor.random(g.rng(), -1f, 1f, 70, 50));
        g.output(g.node("g", new Op.Gemm(1f, 0.5f, false, true, Activation.RELU), List.of(a, w, c), List.of("y")));
        Oracle.check(g.build());
        for (Activation act : new Activation[] {Activation.RELU, Activation.clip(-0.2f, 0.4f)}) {
            Oracle.check(gemm(new Op.Gemm(1f, 1f, false, true, act), new int[] {1, 30}, new int[] {90, 30},
                    new int[] {90}, false));
        }
    }

    @Test
    void transposesAlphaBeta() {
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                int m = 6, k = 19, n = 133;
                int[] as = ta ? new int[] {k, m} : new int[] {m, k};
                int[] bs = tb ? new int[] {n, k} : new int[] {k, n};
                Oracle.check(gemm(op(0.7f, -1.3f, ta, tb), as, bs, new int[] {m, n}, false));
            }
        }
    }

    @Test
    void broadcastOfC() {
        int[] as = {5, 11}, bs = {11, 9};
        for (int[] cs : new int[][] {{9}, {1, 9}, {5, 1}, {1}, {1, 1}, {5, 9}, {}}) {
            Oracle.check(gemm(op(1.5f, 0.5f, false, false), as, bs, cs, false));
        }
        Oracle.check(gemm(op(2f, 0f, false, false), as, bs, new int[] {5, 9}, false)); // beta 0: C ignored
        Oracle.check(gemm(op(1f, 1f, false, false), as, bs, null, false));            // no C
    }

    @Test
    void runtimeOperands() {
        Oracle.check(gemm(op(0.5f, 2f, true, true), new int[] {13, 6}, new int[] {10, 13}, new int[] {6, 1}, true));
        Oracle.check(gemm(op(1f, 1f, false, false), new int[] {3, 300}, new int[] {300, 260}, new int[] {260}, true));
    }

    @Test
    void fusedActivations() {
        for (Activation act : new Activation[] {Activation.RELU, Activation.clip(-0.2f, 0.4f)}) {
            Oracle.check(gemm(new Op.Gemm(1f, 1f, false, true, act), new int[] {4, 30}, new int[] {70, 30},
                    new int[] {70}, false));
            Oracle.check(gemm(new Op.Gemm(1f, 1f, false, true, act), new int[] {4, 30}, new int[] {70, 30},
                    new int[] {70}, true));
        }
        var b = new GraphBuilder("linrelu", 5); // Relu node after Linear: fused by the backend
        String x = b.input("x", Shapes.BATCH, 33);
        b.output(b.relu(b.linear(x, 20, true)));
        Oracle.check(b.build(), 3, 2);
    }

    @Test
    void matMulConstantRightOperand() {
        var b = new GraphBuilder("mm", 3);
        String x = b.input("x", Shapes.BATCH, 5, 29);
        b.output(b.matMul(x, 600)); // more than one NR column block
        Oracle.check(b.build());
        Oracle.check(b.build(), 3, 2);
    }

    @Test
    void matMulBatchedWithBroadcastLeadingDims() {
        int[][][] cases = {
            {{2, 3, 4, 7}, {2, 3, 7, 5}},   // same batch dims
            {{2, 1, 4, 7}, {3, 7, 5}},      // broadcast both ways, B of lower rank
            {{4, 7}, {3, 2, 7, 130}},       // 2-D A against a stack
            {{3, 1, 9, 16}, {1, 2, 16, 1}}, // N = 1
        };
        for (int[][] c : cases) {
            var b = new GraphBuilder("bmm", 8);
            String x = b.input("a", c[0]);
            String y = b.input("b", c[1]);
            b.output(b.node(new Op.MatMul(), x, y));
            Oracle.check(b.build());
        }
    }
}
