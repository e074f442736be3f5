package io.foldrt.bench.peer;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.foldrt.backend.Executable;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An ONNX Runtime session behind FoldRT's {@link Executable}. {@link #time} creates the input tensors once and then
 * times {@code session.run} alone, outputs left in native memory (as the CUDA backend stages its inputs once): if
 * anything this favours ONNX Runtime, whose FoldRT counterpart returns its outputs as Java arrays.
 */
final class OrtExecutable implements Executable {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final int batch;

    OrtExecutable(OrtEnvironment env, OrtSession session, int batch) {
        this.env = env;
        this.session = session;
        this.batch = batch;
    }

    @Override
    public int batch() {
        return batch;
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Map<String, OnnxTensor> feed = feed(inputs);
        try (OrtSession.Result r = session.run(feed)) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Map.Entry<String, OnnxValue> e : r) {
                OnnxTensor t = (OnnxTensor) e.getValue();
                long[] s = t.getInfo().getShape();
                int[] shape = new int[s.length];
                for (int i = 0; i < s.length; i++) shape[i] = Math.toIntExact(s[i]);
                FloatBuffer fb = t.getFloatBuffer();
                float[] data = new float[fb.remaining()];
                fb.get(data);
                out.put(e.getKey(), new Tensor(shape, data));
            }
            return out;
        } catch (OrtException e) {
            throw new ModelException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            close(feed);
        }
    }

    @Override
    public double[] time(Map<String, Tensor> inputs, int warmup, int iters) {
        Map<String, OnnxTensor> feed = feed(inputs);
        try {
            for (int i = 0; i < warmup; i++) session.run(feed).close();
            double[] ms = new double[iters];
            for (int i = 0; i < iters; i++) {
                long t0 = System.nanoTime();
                session.run(feed).close();
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            return ms;
        } catch (OrtException e) {
            throw new ModelException("ONNX Runtime failed: " + e.getMessage(), e);
        } finally {
            close(feed);
        }
    }

    private Map<String, OnnxTensor> feed(Map<String, Tensor> inputs) {
        Map<String, OnnxTensor> feed = new LinkedHashMap<>();
        try {
            for (var e : inputs.entrySet()) {
                Tensor t = e.getValue();
                long[] shape = new long[t.rank()];
                for (int i = 0; i < shape.length; i++) shape[i] = t.dim(i);
                feed.put(e.getKey(), OnnxTensor.createTensor(env, FloatBuffer.wrap(t.data()), shape));
            }
            return feed;
        } catch (OrtException e) {
            close(feed);
            throw new ModelException("ONNX Runtime cannot take the input: " + e.getMessage(), e);
        }
    }

    private static void close(Map<String, OnnxTensor> feed) {
        for (OnnxTensor t : feed.values()) t.close();
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime session did not close: " + e.getMessage(), e);
        }
    }
}
