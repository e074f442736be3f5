package io.foldrt.backend.cpu;

import io.foldrt.backend.ActivationMemory;
import io.foldrt.backend.Executable;
import io.foldrt.backend.LayerProfiler;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A graph compiled by {@link CpuBackend} for one batch size: a list of steps over value buffers planned at
 * compile time. A run binds the caller's input arrays (read, never written), allocates one fresh array per
 * graph output (which the caller then owns) and reuses everything else. Not thread-safe: one run at a time.
 */
public final class CpuExecutable implements Executable, ActivationMemory, LayerProfiler {
    record InputBinding(String name, int id, int[] shape) {}

    record OutputBinding(String name, int id, int[] shape, boolean copy) {}

    private final String graphName;
    private final int batch;
    private final Step[] steps;
    private final String[] labels;
    private final float[][] values;
    private final List<InputBinding> inputs;
    private final List<OutputBinding> outputs;
    private final int[] freshIds, freshSizes;
    private final MemoryPlanner.Plan plan;
    private final long workspaceBytes;
    private final Frame frame;
    private final CpuBackend backend;
    private boolean closed;

    CpuExecutable(String graphName, int batch, List<Step> steps, List<String> labels, float[][] values,
                  List<InputBinding> inputs, List<OutputBinding> outputs, int[] freshIds, int[] freshSizes,
                  MemoryPlanner.Plan plan, Workspace.Spec spec, CpuBackend backend) {
        this.graphName = graphName;
        this.batch = batch;
        this.steps = steps.toArray(Step[]::new);
        this.labels = labels.toArray(String[]::new);
        this.values = values;
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.freshIds = freshIds;
        this.freshSizes = freshSizes;
        this.plan = plan;
        this.backend = backend;
        Workspace[] ws = new Workspace[backend.threads()];
        for (int i = 0; i < ws.length; i++) ws[i] = spec.create(backend.kernel());
        this.workspaceBytes = spec.bytes() * ws.length;
        this.frame = new Frame(values, backend.pool(), ws);
    }

    @Override
    public int batch() {
        return batch;
    }

    /** Bytes of the reusable intermediate buffers planned from value lifetimes (excludes inputs, outputs, weights). */
    public long plannedActivationBytes() {
        return plan.bytes();
    }

    /** What the same values would take with one buffer each: the baseline the plan is measured against. */
    long unsharedActivationBytes() {
        return plan.unsharedBytes();
    }

    /** Bytes of per-worker scratch (packed GEMM blocks, accumulator tiles, row buffers). */
    public long workspaceBytes() {
        return workspaceBytes;
    }

    @Override
    public Map<String, Tensor> run(Map<String, Tensor> in) {
        return forward(in, null, null);
    }

    /**
     * Runs {@code iters} passes after {@code warmup} and returns the total time per step as read from
     * {@code clock} (nanoseconds), in step order; {@link #stepLabels()} names them. For measurement tools.
     */
    long[] profile(Map<String, Tensor> in, int warmup, int iters, LongSupplier clock) {
        for (int i = 0; i < warmup; i++) run(in);
        long[] nanos = new long[steps.length];
        for (int i = 0; i < iters; i++) forward(in, clock, nanos);
        return nanos;
    }

    /**
     * Wall-clock time of each step (a fused step counts for the node it was compiled from), as mean milliseconds
     * per pass by node name.
     */
    @Override
    public Map<String, Double> profileLayers(Map<String, Tensor> in, int warmup, int iters) {
        long[] nanos = profile(in, warmup, iters, System::nanoTime);
        Map<String, Double> ms = new LinkedHashMap<>();
        for (int s = 0; s < nanos.length; s++) {
            ms.merge(nodeOf(labels[s]), nanos[s] / 1e6 / Math.max(1, iters), Double::sum);
        }
        return ms;
    }

    /** The node name in a step label "name (Type)" (see Compiler#add). */
    private static String nodeOf(String label) {
        int cut = label.lastIndexOf(" (");
        return cut < 0 ? label : label.substring(0, cut);
    }

    private Map<String, Tensor> forward(Map<String, Tensor> in, LongSupplier clock, long[] nanos) {
        checkOpen();
        bind(in);
        try {
            for (int i = 0; i < freshIds.length; i++) values[freshIds[i]] = new float[freshSizes[i]];
            for (int s = 0; s < steps.length; s++) {
                long t0 = clock == null ? 0 : clock.getAsLong();
                steps[s].run(frame);
                if (clock != null) nanos[s] += clock.getAsLong() - t0;
            }
            return collect();
        } finally {
            for (InputBinding b : inputs) values[b.id()] = null; // hold no reference to the caller's arrays
            for (int id : freshIds) values[id] = null;
        }
    }

    List<String> stepLabels() {
        return List.of(labels);
    }

    List<Step> steps() {
        return List.of(steps);
    }

    private void bind(Map<String, Tensor> in) {
        Map<String, Tensor> given = in == null ? Map.of() : in;
        for (String name : given.keySet()) {
            if (inputs.stream().noneMatch(b -> b.name().equals(name))) {
                throw new ModelException("unknown input '" + name + "' for model '" + graphName + "'; its inputs are "
                        + describeInputs());
            }
        }
        for (InputBinding b : inputs) {
            Tensor t = given.get(b.name());
            String expected = Shapes.str(b.shape());
            if (t == null) {
                throw new ModelException("missing input '" + b.name() + "': expected a tensor of shape " + expected);
            }
            if (!Arrays.equals(t.shape(), b.shape())) {
                throw new ModelException("input '" + b.name() + "' has shape " + Shapes.str(t.shape())
                        + ", expected " + expected + " (compiled for batch " + batch + ")");
            }
            values[b.id()] = t.data();
        }
    }

    private String describeInputs() {
        StringBuilder sb = new StringBuilder();
        for (InputBinding b : inputs) sb.append(sb.isEmpty() ? "" : ", ").append(b.name()).append(Shapes.str(b.shape()));
        return sb.isEmpty() ? "(none)" : sb.toString();
    }

    private Map<String, Tensor> collect() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (OutputBinding o : outputs) {
            float[] data = values[o.id()];
            out.put(o.name(), new Tensor(o.shape(), o.copy() ? data.clone() : data));
        }
        return out;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("executable for '" + graphName + "' is closed");
        backend.checkOpen();
    }

    @Override
    public void close() {
        closed = true;
        Arrays.fill(values, null); // drop the planned buffers and weight copies now
    }
}
