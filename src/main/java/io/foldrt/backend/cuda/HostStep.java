package io.foldrt.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.DevPtr;
import io.foldrt.backend.cuda.driver.Driver;
import io.foldrt.backend.cuda.driver.PinnedBuffer;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.backend.reference.ReferenceInterpreter.DTensor;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ValueInfo;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A node the GPU path cannot run, executed on the host (option allow-cpu-fallback=true): waits for the
 * stream, copies the node's inputs down, evaluates the node with the float64 reference interpreter and
 * copies the result up. This is the one step that synchronises inside a forward pass, and it rules out
 * CUDA-graph capture; the plan report names the node and the reason.
 */
final class HostStep implements Step {
    /** A value the step reads or writes: device address and its slot in the step's pinned buffer. */
    record Slot(String name, int[] shape, long deviceAddress, long stagingOffset) {
        long bytes() {
            long n = 1;
            for (int d : shape) n *= d;
            return 4 * n;
        }
    }

    private final Node node;
    private final Graph single;
    private final List<Slot> inputs;
    private final Slot output;
    private final CudaStream stream;
    private final PinnedBuffer staging;
    private final String reason;

    HostStep(Node node, List<Slot> inputs, Slot output, CudaStream stream, PinnedBuffer staging, String reason) {
        this.node = node;
        this.inputs = List.copyOf(inputs);
        this.output = output;
        this.stream = stream;
        this.staging = staging;
        this.reason = reason;
        Map<String, int[]> shapes = new HashMap<>();
        for (Slot s : inputs) shapes.put(s.name(), s.shape());
        shapes.put(output.name(), output.shape());
        this.single = singleNodeGraph(node, shapes);
    }

    /** {@code n} alone as a graph whose inputs are n's distinct inputs and whose output is n's first output. */
    static Graph singleNodeGraph(Node n, Map<String, int[]> shapes) {
        List<ValueInfo> in = new ArrayList<>();
        for (String v : new LinkedHashSet<>(n.inputs())) if (!v.isEmpty()) in.add(new ValueInfo(v, shapes.get(v)));
        Node only = new Node(n.name(), n.op(), n.inputs(), List.of(n.output()));
        return new Graph(n.name(), in, List.of(new ValueInfo(n.output(), shapes.get(n.output()))), List.of(only), Map.of());
    }

    @Override
    public String node() {
        return node.name();
    }

    @Override
    public void enqueue() {
        stream.synchronize(); // the inputs are produced by work queued before this step
        for (Slot s : inputs) {
            Driver.check(cuMemcpyDtoHAsync(staging.pointer(s.stagingOffset()), DevPtr.of(s.deviceAddress()), s.bytes(),
                    stream.jcuda()), "cuMemcpyDtoHAsync");
        }
        stream.synchronize();
        Map<String, DTensor> values = new HashMap<>();
        for (Slot s : inputs) {
            float[] f = new float[(int) (s.bytes() / 4)];
            MemorySegment.copy(staging.segment(), JAVA_FLOAT, s.stagingOffset(), f, 0, f.length);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) d[i] = f[i];
            values.put(s.name(), new DTensor(s.shape(), d));
        }
        double[] y = ReferenceInterpreter.runDouble(single, values).get(output.name()).data();
        MemorySegment out = staging.segment().asSlice(output.stagingOffset(), output.bytes());
        for (int i = 0; i < y.length; i++) out.setAtIndex(JAVA_FLOAT, i, (float) y[i]);
        // The next host step synchronises before it reuses the staging memory, so this copy may run on.
        Driver.check(cuMemcpyHtoDAsync(DevPtr.of(output.deviceAddress()), staging.pointer(output.stagingOffset()),
                output.bytes(), stream.jcuda()), "cuMemcpyHtoDAsync");
    }

    @Override
    public String describe() {
        return "on the host (allow-cpu-fallback): " + reason;
    }
}
