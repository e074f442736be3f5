package io.foldrt.zoo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.PlanResult;
import io.foldrt.plan.Planner;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModelZooTest {
    /** The spec's float32 tolerance for folded vs unfolded, as relative L2 over the output. */
    private static final double TOLERANCE = 1e-4;
    private static final Map<String, Graph> BUILT = new ConcurrentHashMap<>();

    @Test
    void namesAreFixed() {
        assertEquals(List.of("resnet18", "resnet50", "mobilenet_v2", "alexnet_bn", "strided_cnn", "linear_bn_linear"),
                ModelZoo.names());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        ModelException e = assertThrows(ModelException.class, () -> ModelZoo.build("vgg16"));
        assertTrue(e.getMessage().contains("'vgg16'"), e.getMessage());
        for (String n : ModelZoo.names()) assertTrue(e.getMessage().contains(n), e.getMessage());
    }

    /**
     * Parameters as torchvision counts them: every initializer element except the BatchNorm running mean
     * and variance (buffers in PyTorch, not parameters). resnet18/50 and mobilenet_v2 are torchvision's
     * published numbers; alexnet_bn is torchvision AlexNet's 61,100,840 plus gamma and beta of five BNs
     * (64+192+384+256+256 channels).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"resnet18,11689512", "resnet50,25557032", "mobilenet_v2,3504872", "alexnet_bn,61103144"})
    void parameterCountsMatchTorchvision(String name, long expected) {
        Graph g = model(name);
        long stats = 0;
        for (Node n : g.nodes()) {
            if (n.op() instanceof Op.BatchNorm) stats += g.initializers().get(n.input(3)).size() + g.initializers().get(n.input(4)).size();
        }
        assertEquals(expected, g.parameterCount() - stats);
    }

    /** BN counts from the architectures: resnet18 1+16+3, resnet50 1+48+4, mobilenet_v2 1+2+16*3+1. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"resnet18,20,1000", "resnet50,53,1000", "mobilenet_v2,52,1000", "alexnet_bn,5,1000",
            "strided_cnn,4,10", "linear_bn_linear,1,10"})
    void everyModelHasASymbolicBatchInputNamedInputAndNonTrivialBatchNorms(String name, int bns, int classes) {
        Graph g = model(name);
        assertEquals(1, g.inputs().size());
        ValueInfo in = g.inputs().get(0);
        assertEquals("input", in.name());
        assertEquals(Shapes.BATCH, in.shape()[0]);
        assertEquals(List.of(Shapes.BATCH, classes), List.of(g.outputs().get(0).shape()[0], g.outputs().get(0).shape()[1]));
        List<Node> bnNodes = g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).toList();
        assertEquals(bns, bnNodes.size());
        for (Node bn : bnNodes) {
            float[] mean = g.initializers().get(bn.input(3)).data(), var = g.initializers().get(bn.input(4)).data();
            assertNotEquals(0f, mean[0], bn.name());
            assertNotEquals(1f, var[0], bn.name());
        }
    }

    @Test
    void buildsAreReproducible() {
        assertEquals(ModelZoo.build("strided_cnn"), ModelZoo.build("strided_cnn"));
        assertEquals(ModelZoo.build("mobilenet_v2"), ModelZoo.build("mobilenet_v2"));
    }

    /** Every BN folds; every Relu/ReLU6 after a conv or Linear fuses; those after a residual Add stay. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"resnet18,8", "resnet50,16", "mobilenet_v2,0", "alexnet_bn,0", "strided_cnn,0", "linear_bn_linear,0"})
    void everyModelPlansWithEveryBatchNormFolded(String name, int activationsLeft) {
        Graph g = model(name);
        PlanResult r = Planner.plan(g, PlanOptions.defaults());
        assertEquals(0, r.report().keptCount(), r.report().toText());
        assertEquals(0, r.graph().nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).count());
        long left = r.graph().nodes().stream().filter(n -> n.op() instanceof Op.Relu || n.op() instanceof Op.Clip).count();
        assertEquals(activationsLeft, left);
        assertEquals(g.inputs(), r.graph().inputs());
        assertEquals(g.outputs(), r.graph().outputs());
        assertTrue(r.report().maxRelError() < 1e-6, r.report().toText());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"strided_cnn", "linear_bn_linear", "alexnet_bn"})
    void foldedModelMatchesTheOriginal(String name) {
        Graph g = model(name);
        Graph folded = Planner.plan(g, PlanOptions.defaults().withProbe(false)).graph();
        assertTrue(relL2(g, folded, 1) <= TOLERANCE);
    }

    /** Models ending in global pooling, on a 32x32 input instead of 224x224 to keep float64 runs short. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"resnet18", "resnet50", "mobilenet_v2"})
    void foldedModelMatchesTheOriginalOnASmallerImage(String name) {
        Graph g = model(name);
        Graph folded = Planner.plan(g, PlanOptions.defaults().withProbe(false)).graph();
        assertTrue(relL2(withInput(g, 1, 3, 32, 32), withInput(folded, 1, 3, 32, 32), 1) <= TOLERANCE);
    }

    /** Graphs are immutable: build each model once for the whole class (alexnet_bn alone takes seconds). */
    private static Graph model(String name) {
        return BUILT.computeIfAbsent(name, ModelZoo::build);
    }

    private static Graph withInput(Graph g, int... shape) {
        return new Graph(g.name(), List.of(new ValueInfo("input", shape)), g.outputs(), g.nodes(), g.initializers());
    }

    private static double relL2(Graph a, Graph b, int batch) {
        ValueInfo in = a.inputs().get(0);
        Tensor x = Tensor.random(new SplittableRandom(5), -1f, 1f, Shapes.bind(in.shape(), batch));
        Map<String, Tensor> feed = new HashMap<>(Map.of(in.name(), x));
        var ra = ReferenceInterpreter.run(a, feed);
        var rb = ReferenceInterpreter.run(b, feed);
        String out = a.outputs().get(0).name();
        double[] p = ra.get(out).data(), q = rb.get(out).data();
        double diff = 0, norm = 0;
        for (int i = 0; i < p.length; i++) {
            diff += (q[i] - p[i]) * (q[i] - p[i]);
            norm += p[i] * p[i];
        }
        assertTrue(norm > 0 && Double.isFinite(norm), "reference output is degenerate: " + norm);
        return Math.sqrt(diff / norm);
    }
}
