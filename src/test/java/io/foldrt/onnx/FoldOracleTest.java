package io.foldrt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.foldrt.backend.Executable;
import io.foldrt.backend.cpu.CpuBackend;
import io.foldrt.backend.cpu.CpuBackendProvider;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.PlanResult;
import io.foldrt.plan.Planner;
import io.foldrt.zoo.ModelZoo;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole fold pipeline against ONNX Runtime: an ONNX model is imported, planned (every foldable BatchNorm
 * folded), exported back to ONNX, and then five engines must agree with ORT without optimizations on the
 * original file: our CPU backend on the unfolded and on the folded graph, ORT on our folded export, and ORT
 * with all optimizations (its own Conv+BN fusion) as a second opinion.
 *
 * <p>Tolerance (float32 engines with different summation orders, one of them on folded weights; the spec's
 * float32 bound for folded vs unfolded): relative L2 error at most {@value #REL_L2} and every element within
 * {@value #ELEM_REL}·max|ref|. NaN fails, and so does an all-zero reference.
 */
class FoldOracleTest {
    static final double REL_L2 = 1e-4;
    static final double ELEM_REL = 1e-3;

    /** ResNet-style and MobileNet-style zoo models exported by us, and a real torch.onnx.export fixture. */
    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "mobilenet_v2", "torch_cnn_opset13.onnx", "torch_cnn_opset9.onnx"})
    void foldedModelAgreesWithOnnxRuntimeEverywhere(String model) throws IOException {
        byte[] original = model.endsWith(".onnx") ? fixture(model) : OnnxExporter.toBytes(ModelZoo.build(model), 13);
        int opset = OnnxImporter.opsetOf(original, model);
        Graph g = OnnxImporter.parse(original, model);
        long bns = countBatchNorms(g);
        assertTrue(bns > 0, model + " has BatchNorm to fold");

        PlanResult plan = Planner.plan(g, PlanOptions.defaults().withProbe(false));
        assertEquals(bns, plan.report().foldedCount(), model + ": every BatchNorm folds\n" + plan.report().toText());
        assertEquals(0, countBatchNorms(plan.graph()), model + ": no BatchNormalization node is left");
        byte[] folded = OnnxExporter.toBytes(plan.graph(), opset);
        assertEquals(0, countBatchNorms(OnnxImporter.parse(folded, model + " folded")), "the export has none either");
        assertTrue(folded.length < original.length, "folding removed BN parameters from the file");

        int batch = 2;
        SplittableRandom rng = new SplittableRandom(model.hashCode());
        Map<String, Tensor> in = OrtCheck.randomInputs(g, batch, rng);
        Map<String, Tensor> ort = Ort.run(original, in, OptLevel.NO_OPT);
        Map<String, Tensor> ortFused = Ort.run(original, in, OptLevel.ALL_OPT);
        Map<String, Tensor> ortOnOurFold = Ort.run(folded, in, OptLevel.NO_OPT);
        Map<String, Tensor> oursUnfolded, oursFolded;
        try (CpuBackend cpu = new CpuBackendProvider().open(0, Map.of());
             Executable unfolded = cpu.compile(g, batch);
             Executable foldedExe = cpu.compile(plan.graph(), batch)) {
            oursUnfolded = unfolded.run(in);
            oursFolded = foldedExe.run(in);
        }
        for (String out : ort.keySet()) {
            Tensor ref = ort.get(out);
            String where = model + " output '" + out + "'";
            check(where + ": ORT ALL_OPT (its own Conv+BN fusion)", ref, ortFused.get(out));
            check(where + ": ORT on our folded export", ref, ortOnOurFold.get(out));
            check(where + ": our CPU backend, BatchNorm separate", ref, oursUnfolded.get(out));
            check(where + ": our CPU backend, BatchNorm folded", ref, oursFolded.get(out));
        }
    }

    private static void check(String what, Tensor ref, Tensor got) {
        assertNotNull(got, what + ": output missing");
        assertArrayEquals(ref.shape(), got.shape(), what + ": shape");
        float[] r = ref.data(), x = got.data();
        double maxAbs = 0, diff2 = 0, ref2 = 0;
        for (int i = 0; i < r.length; i++) {
            if (Float.isNaN(r[i]) || Float.isNaN(x[i])) fail(what + ": NaN at element " + i);
            maxAbs = Math.max(maxAbs, Math.abs(r[i]));
        }
        assertTrue(maxAbs > 0, what + ": the reference output is all zeros, so the check would prove nothing");
        for (int i = 0; i < r.length; i++) {
            double d = (double) x[i] - r[i];
            if (Math.abs(d) > ELEM_REL * maxAbs) {
                fail(what + ": element " + i + " is " + x[i] + ", ORT gives " + r[i] + " (tolerance " + ELEM_REL * maxAbs + ")");
            }
            diff2 += d * d;
            ref2 += (double) r[i] * r[i];
        }
        double rel = Math.sqrt(diff2 / ref2);
        assertTrue(rel <= REL_L2, what + ": relative L2 error " + rel + " > " + REL_L2);
    }

    private static long countBatchNorms(Graph g) {
        return g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).count();
    }

    private static byte[] fixture(String name) throws IOException {
        try (InputStream in = FoldOracleTest.class.getResourceAsStream("/fixtures/" + name)) {
            assertNotNull(in, name);
            return in.readAllBytes();
        }
    }
}
