package io.foldrt.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import io.foldrt.backend.Executable;
import io.foldrt.backend.LayerProfiler;
import io.foldrt.backend.cuda.driver.CudaEvent;
import io.foldrt.backend.cuda.driver.CudaGraph;
import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.DevPtr;
import io.foldrt.backend.cuda.driver.Driver;
import io.foldrt.backend.cuda.driver.PinnedBuffer;
import io.foldrt.backend.cuda.driver.Resources;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph compiled for one batch size on the GPU. A forward pass stages the inputs through pinned memory,
 * queues every step (or one CUDA-graph launch) on the executable's own stream, copies the outputs back and
 * waits once, at the end. Thread-safe: calls are serialised, and each makes the device's context current on
 * the calling thread first.
 *
 * <p>Timing: {@link #time} measures on the device with CUDA events, inputs staged once and not timed;
 * {@link #profileLayers} times each node's steps; {@link #layerMillis} returns the last profile.
 */
public final class CudaExecutable implements Executable, LayerProfiler {
    /** A graph input or output: device address and its slot in the pinned staging buffer. */
    record Io(String name, int[] shape, long deviceAddress, long bytes, long stagingOffset) {}

    private final CudaBackend backend;
    private final String model;
    private final int batch;
    private final CudaStream stream;
    private final List<Step> steps;
    private final List<Io> inputs, outputs;
    private final PinnedBuffer staging;
    private final CudaGraph graph;
    private final Resources owned;
    private final List<String> report;
    private Map<String, Double> layerMillis = Map.of();
    private boolean closed;

    CudaExecutable(CudaBackend backend, String model, int batch, CudaStream stream, List<Step> steps, List<Io> inputs,
                   List<Io> outputs, PinnedBuffer staging, CudaGraph graph, Resources owned, List<String> report) {
        this.backend = backend;
        this.model = model;
        this.batch = batch;
        this.stream = stream;
        this.steps = List.copyOf(steps);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.staging = staging;
        this.graph = graph;
        this.owned = owned;
        this.report = List.copyOf(report);
    }

    @Override
    public int batch() {
        return batch;
    }

    /** Whether the forward pass replays a captured CUDA graph. */
    public boolean usesCudaGraph() {
        return graph != null;
    }

    /** What the plan does, one line each: device, memory, options, kernel origins, each node's calls, fallbacks. */
    public List<String> planReport() {
        return report;
    }

    @Override
    public synchronized Map<String, Tensor> run(Map<String, Tensor> in) {
        enter();
        stage(in);
        forward();
        for (Io o : outputs) {
            Driver.check(cuMemcpyDtoHAsync(staging.pointer(o.stagingOffset()), DevPtr.of(o.deviceAddress()), o.bytes(),
                    stream.jcuda()), "cuMemcpyDtoHAsync");
        }
        stream.synchronize();
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Io o : outputs) {
            float[] data = new float[(int) (o.bytes() / 4)];
            MemorySegment.copy(staging.segment(), JAVA_FLOAT, o.stagingOffset(), data, 0, data.length);
            out.put(o.name(), new Tensor(o.shape(), data));
        }
        return out;
    }

    /** Device time of each of {@code iters} forward passes (after {@code warmup}), inputs staged once. */
    @Override
    public synchronized double[] time(Map<String, Tensor> in, int warmup, int iters) {
        enter();
        stage(in);
        for (int i = 0; i < warmup; i++) forward();
        double[] ms = new double[iters];
        try (Resources events = new Resources()) {
            List<CudaEvent> marks = new ArrayList<>(iters + 1);
            for (int i = 0; i <= iters; i++) marks.add(events.add(CudaEvent.create()));
            marks.getFirst().record(stream);
            for (int i = 0; i < iters; i++) {
                forward();
                marks.get(i + 1).record(stream);
            }
            marks.getLast().synchronize();
            for (int i = 0; i < iters; i++) ms[i] = CudaEvent.elapsedMillis(marks.get(i), marks.get(i + 1));
        }
        return ms;
    }

    /**
     * Mean device milliseconds per node over {@code iters} step-by-step passes (no CUDA graph, since events
     * must sit between the steps), in node order. Nodes without device work (Flatten, Reshape, Identity) are
     * absent. The result is also kept for {@link #layerMillis()}.
     */
    @Override
    public synchronized Map<String, Double> profileLayers(Map<String, Tensor> in, int warmup, int iters) {
        enter();
        stage(in);
        for (int i = 0; i < warmup; i++) forward();
        Map<String, Double> sum = new LinkedHashMap<>();
        for (Step s : steps) sum.putIfAbsent(s.node(), 0.0);
        try (Resources events = new Resources()) {
            List<CudaEvent> marks = new ArrayList<>(steps.size() + 1);
            for (int i = 0; i <= steps.size(); i++) marks.add(events.add(CudaEvent.create()));
            for (int it = 0; it < iters; it++) {
                marks.getFirst().record(stream);
                for (int j = 0; j < steps.size(); j++) {
                    steps.get(j).enqueue();
                    marks.get(j + 1).record(stream);
                }
                marks.getLast().synchronize();
                for (int j = 0; j < steps.size(); j++) {
                    sum.merge(steps.get(j).node(), CudaEvent.elapsedMillis(marks.get(j), marks.get(j + 1)), Double::sum);
                }
            }
        }
        sum.replaceAll((k, v) -> v / Math.max(1, iters));
        layerMillis = Collections.unmodifiableMap(sum);
        return layerMillis;
    }

    /** The last {@link #profileLayers} result (node name to mean milliseconds); empty before the first. */
    public synchronized Map<String, Double> layerMillis() {
        return layerMillis;
    }

    private void enter() {
        if (closed) throw new IllegalStateException("executable for model '" + model + "' is closed");
        backend.device().makeCurrent();
    }

    /** Copies the inputs into pinned memory and queues their upload; checks names and shapes first. */
    private void stage(Map<String, Tensor> in) {
        for (String name : in.keySet()) {
            if (inputs.stream().noneMatch(io -> io.name().equals(name))) {
                throw new ModelException("unknown input '" + name + "', expected one of "
                        + inputs.stream().map(Io::name).toList());
            }
        }
        for (Io io : inputs) {
            Tensor t = in.get(io.name());
            if (t == null) throw new ModelException("missing input '" + io.name() + "'");
            if (!Arrays.equals(t.shape(), io.shape())) {
                throw new ModelException("input '" + io.name() + "' has shape " + Arrays.toString(t.shape())
                        + ", this executable expects " + Arrays.toString(io.shape()));
            }
        }
        // Both loops: no copy is queued before every input has been checked.
        for (Io io : inputs) {
            float[] data = in.get(io.name()).data();
            MemorySegment.copy(data, 0, staging.segment(), JAVA_FLOAT, io.stagingOffset(), data.length);
            Driver.check(cuMemcpyHtoDAsync(DevPtr.of(io.deviceAddress()), staging.pointer(io.stagingOffset()), io.bytes(),
                    stream.jcuda()), "cuMemcpyHtoDAsync");
        }
    }

    /** Queues one forward pass; never waits for the device. */
    private void forward() {
        if (graph != null) {
            graph.launch(stream);
        } else {
            for (Step s : steps) s.enqueue();
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        try {
            backend.device().makeCurrent();
            stream.synchronize(); // nothing in flight may still read the memory about to be freed
        } finally {
            try {
                owned.close();
            } finally {
                backend.forget(this);
            }
        }
    }
}
