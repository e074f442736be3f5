package io.foldrt.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The numeric check every model goes through, with ONNX Runtime as the independent oracle:
 * <ol>
 *   <li>ORT (no graph optimizations) on the original bytes is the reference output;</li>
 *   <li>our import, run by the float64 {@link ReferenceInterpreter}, must match it;</li>
 *   <li>our export of the imported graph, run by ORT, must match it and re-import to an equal graph;</li>
 *   <li>ORT with all optimizations (its own Conv+BN fusion) must match it too: a second opinion.</li>
 * </ol>
 * Tolerance, fixed for all models: rel-L2 error at most {@value #REL_L2} and every element within
 * {@value #ELEM_REL}·max|ref| + {@value #ELEM_ABS}. NaN anywhere fails, and so does an all-zero reference.
 */
final class OrtCheck {
    static final double REL_L2 = 1e-5;
    static final double ELEM_REL = 1e-4;
    static final double ELEM_ABS = 1e-6;

    private OrtCheck() {}

    /** Runs the full check at each batch size (the model's batch must be symbolic for sizes other than 1). */
    static Graph check(String label, byte[] model, int... batches) {
        Graph g = OnnxImporter.parse(model, label);
        int opset = OnnxImporter.opsetOf(model, label);
        byte[] exported = OnnxExporter.toBytes(g, opset);
        assertEquals(g, OnnxImporter.parse(exported, label + " (exported)"), label + ": export -> import changed the graph");
        SplittableRandom rng = new SplittableRandom(label.hashCode());
        for (int batch : batches.length == 0 ? new int[] {1} : batches) {
            Map<String, Tensor> in = randomInputs(g, batch, rng);
            Map<String, Tensor> ort = Ort.run(model, in, OptLevel.NO_OPT);
            Map<String, ReferenceInterpreter.DTensor> ours = ReferenceInterpreter.run(g, in);
            Map<String, Tensor> ortExported = Ort.run(exported, in, OptLevel.NO_OPT);
            Map<String, Tensor> ortFused = Ort.run(model, in, OptLevel.ALL_OPT);
            assertEquals(ort.keySet(), ours.keySet(), label + ": output names");
            for (String out : ort.keySet()) {
                Tensor ref = ort.get(out);
                String where = label + " batch " + batch + " output '" + out + "'";
                assertArrayEquals(ref.shape(), ours.get(out).shape(), where + ": shape of our import vs ORT");
                assertClose(where + ": ORT vs our import (reference interpreter)", toDouble(ref.data()), ours.get(out).data());
                assertArrayEquals(ref.shape(), ortExported.get(out).shape(), where + ": shape of our export in ORT");
                assertClose(where + ": ORT vs ORT on our export", toDouble(ref.data()), toDouble(ortExported.get(out).data()));
                assertClose(where + ": ORT NO_OPT vs ORT ALL_OPT", toDouble(ref.data()), toDouble(ortFused.get(out).data()));
            }
        }
        return g;
    }

    /**
     * Exports an IR graph at {@code opset} and checks ORT (no optimizations) on the bytes against the
     * reference interpreter on the graph, with the same tolerance. Returns the exported bytes.
     */
    static byte[] checkExport(String label, Graph g, int opset, int... batches) {
        byte[] bytes = OnnxExporter.toBytes(g, opset);
        SplittableRandom rng = new SplittableRandom(label.hashCode());
        for (int batch : batches.length == 0 ? new int[] {1} : batches) {
            Map<String, Tensor> in = randomInputs(g, batch, rng);
            Map<String, Tensor> ort = Ort.run(bytes, in, OptLevel.NO_OPT);
            Map<String, ReferenceInterpreter.DTensor> ours = ReferenceInterpreter.run(g, in);
            assertEquals(ours.keySet(), ort.keySet(), label + ": output names");
            for (String out : ours.keySet()) {
                String where = label + " opset " + opset + " batch " + batch + " output '" + out + "'";
                assertArrayEquals(ours.get(out).shape(), ort.get(out).shape(), where + ": shape");
                assertClose(where + ": reference interpreter vs ORT on our export", ours.get(out).data(), toDouble(ort.get(out).data()));
            }
        }
        return bytes;
    }

    static Map<String, Tensor> randomInputs(Graph g, int batch, SplittableRandom rng) {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (ValueInfo v : g.inputs()) in.put(v.name(), Tensor.random(rng, -1f, 1f, Shapes.bind(v.shape(), batch)));
        return in;
    }

    static void assertClose(String what, double[] ref, double[] got) {
        assertEquals(ref.length, got.length, what + ": element count");
        double maxAbs = 0, diff2 = 0, ref2 = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Double.isNaN(ref[i]) || Double.isNaN(got[i])) fail(what + ": NaN at element " + i);
            maxAbs = Math.max(maxAbs, Math.abs(ref[i]));
        }
        assertTrue(ref.length == 0 || maxAbs > 0, what + ": the reference output is all zeros, so the check would prove nothing");
        double tol = ELEM_REL * maxAbs + ELEM_ABS;
        for (int i = 0; i < ref.length; i++) {
            double d = got[i] - ref[i];
            if (Math.abs(d) > tol) fail(what + ": element " + i + " is " + got[i] + ", expected " + ref[i] + " (tolerance " + tol + ")");
            diff2 += d * d;
            ref2 += ref[i] * ref[i];
        }
        double rel = ref2 == 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2);
        assertTrue(rel <= REL_L2, what + ": relative L2 error " + rel + " > " + REL_L2);
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }
}
