package io.foldrt.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.foldrt.ir.Tensor;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/** Runs a model in ONNX Runtime (CPU, one thread) and returns its float outputs as tensors. */
final class Ort {
    private Ort() {}

    static Map<String, Tensor> run(byte[] model, Map<String, Tensor> inputs, OptLevel level) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setOptimizationLevel(level);
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            try (OrtSession session = env.createSession(model, opts)) {
                Map<String, OnnxTensor> feed = new HashMap<>();
                try {
                    for (var e : inputs.entrySet()) {
                        Tensor t = e.getValue();
                        long[] shape = new long[t.rank()];
                        for (int i = 0; i < shape.length; i++) shape[i] = t.dim(i);
                        feed.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), shape));
                    }
                    Map<String, Tensor> out = new LinkedHashMap<>();
                    try (OrtSession.Result r = session.run(feed)) {
                        for (var e : r) {
                            OnnxTensor t = (OnnxTensor) e.getValue();
                            long[] s = t.getInfo().getShape();
                            int[] shape = new int[s.length];
                            for (int i = 0; i < s.length; i++) shape[i] = Math.toIntExact(s[i]);
                            FloatBuffer fb = t.getFloatBuffer();
                            float[] data = new float[fb.remaining()];
                            fb.get(data);
                            out.put(e.getKey(), new Tensor(shape, data));
                        }
                    }
                    return out;
                } finally {
                    for (OnnxTensor t : feed.values()) t.close();
                }
            }
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }
}
