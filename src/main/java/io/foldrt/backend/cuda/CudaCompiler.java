package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.dnn.CublasHandle;
import io.foldrt.backend.cuda.dnn.CudnnHandle;
import io.foldrt.backend.cuda.driver.CudaGraph;
import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.DeviceBuffer;
import io.foldrt.backend.cuda.driver.DeviceOutOfMemoryException;
import io.foldrt.backend.cuda.driver.PinnedBuffer;
import io.foldrt.backend.cuda.driver.Resources;
import io.foldrt.backend.cuda.driver.Uploader;
import io.foldrt.backend.cuda.geometry.MemoryPlanner;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.ValueInfo;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plans a graph for one batch size: shapes, memory plan, one allocation each for weights, activations and
 * workspace, weight upload, descriptors and algorithms per node, a trial of every fused convolution, one
 * warm-up pass, and optionally a CUDA-graph capture. Everything it creates goes into one {@link Resources}
 * scope that the executable then owns; if any step fails - out of device memory included - the scope is
 * closed, so nothing allocated so far survives.
 */
final class CudaCompiler {
    /** cuBLAS workspace: 32 MiB is NVIDIA's recommendation for Hopper, 4 MiB suffices before it. */
    private static long cublasWorkspace(int ccMajor) {
        return ccMajor >= 9 ? 32L << 20 : 4L << 20;
    }

    private final CudaBackend backend;

    CudaCompiler(CudaBackend backend) {
        this.backend = backend;
    }

    CudaExecutable compile(Graph graph, int batch) {
        Map<String, int[]> shapes = ShapeInference.infer(graph, batch);
        Map<String, Long> scratch = new HashMap<>();
        for (Node n : graph.nodes()) scratch.put(n.name(), Lowering.scratchBytes(n, shapes));
        BufferPlan plan = BufferPlan.of(graph, shapes, scratch);

        backend.device().makeCurrent();
        Resources scope = new Resources();
        try {
            return build(graph, batch, shapes, plan, scope);
        } catch (DeviceOutOfMemoryException e) {
            closeQuietly(scope, e);
            throw new DeviceOutOfMemoryException("model '" + graph.name() + "' at batch " + batch + ": " + e.getMessage()
                    + " (weights " + DeviceOutOfMemoryException.size(plan.weightBytes()) + ", activations "
                    + DeviceOutOfMemoryException.size(plan.arenaBytes()) + "); everything allocated for it was freed",
                    e.requestedBytes());
        } catch (RuntimeException | Error e) {
            closeQuietly(scope, e);
            throw e;
        }
    }

    private CudaExecutable build(Graph graph, int batch, Map<String, int[]> shapes, BufferPlan plan, Resources scope) {
        CudaOptions options = backend.options();
        String model = "model '" + graph.name() + "' at batch " + batch;
        CudaStream stream = scope.add(CudaStream.create());
        Arena arena = scope.add(Arena.ofShared());
        CudnnHandle dnn = scope.add(CudnnHandle.create(backend.cudnn(), stream));
        CublasHandle blas = scope.add(CublasHandle.create(backend.cublas(), stream, options.tf32()));
        DeviceBuffer weights = scope.add(backend.pool().allocate(plan.weightBytes(), "the weights of " + model));
        DeviceBuffer activations = scope.add(backend.pool().allocate(plan.arenaBytes(), "the activation memory of " + model));

        try (Uploader up = new Uploader(stream, plan.weightBytes())) {
            for (var e : plan.weights().entrySet()) {
                up.put(weights.address() + e.getValue().offset(), graph.initializers().get(e.getKey()).data());
            }
        }

        Workspace workspace = new Workspace();
        Lowering lowering = new Lowering(options, backend.kernels(), backend.algorithms(), stream, dnn, blas, arena,
                scope, workspace, shapes, plan, weights.address(), activations.address());
        List<Step> steps = new ArrayList<>();
        for (Node n : graph.nodes()) steps.addAll(lowering.lower(n));

        long cublasWs = cublasWorkspace(backend.device().computeCapabilityMajor());
        DeviceBuffer ws = scope.add(backend.pool().allocate(Math.max(workspace.required(), cublasWs), "the workspace of " + model));
        workspace.bind(ws);
        blas.setWorkspace(ws.segment(0), ws.bytes());

        List<String> notes = new ArrayList<>();
        for (Step s : steps) {
            if (s instanceof ConvStep c) {
                c.tryFused();
                if (c.fallbackReason() != null) notes.add(c.node() + ": " + c.fallbackReason());
            }
        }
        // One full pass now, so that an asynchronous error shows up at compile time and not in the first run.
        for (Step s : steps) s.enqueue();
        stream.synchronize();

        List<CudaExecutable.Io> inputs = new ArrayList<>(), outputs = new ArrayList<>();
        long staging = 0;
        for (ValueInfo v : graph.inputs()) {
            if (graph.initializers().containsKey(v.name())) continue;
            inputs.add(io(v.name(), shapes, plan, weights, activations, staging));
            staging += MemoryPlanner.align(inputs.getLast().bytes(), BufferPlan.ALIGNMENT);
        }
        for (ValueInfo v : graph.outputs()) {
            outputs.add(io(v.name(), shapes, plan, weights, activations, staging));
            staging += MemoryPlanner.align(outputs.getLast().bytes(), BufferPlan.ALIGNMENT);
        }
        PinnedBuffer pinned = scope.add(PinnedBuffer.allocate(staging));

        CudaGraph cudaGraph = null;
        List<String> onHost = steps.stream().filter(s -> s instanceof HostStep).map(Step::node).toList();
        for (Step s : steps) if (s instanceof HostStep h) notes.add(h.node() + ": " + h.describe());
        if (options.cudaGraph() && !onHost.isEmpty()) {
            notes.add("cuda-graph: not captured, because " + onHost + " run on the host");
        } else if (options.cudaGraph()) {
            try {
                cudaGraph = scope.add(CudaGraph.capture(stream, () -> steps.forEach(Step::enqueue)));
            } catch (RuntimeException e) {
                notes.add("cuda-graph: capture failed, running step by step: " + e.getMessage());
            }
        }
        List<String> report = report(graph, batch, plan, steps, workspace, options, cudaGraph != null);
        report.add(1, "libraries: cuDNN " + backend.cudnn().version() + " (" + String.join(", ", backend.cudnn().files())
                + "), cuBLAS " + blas.cublas().version(blas.segment()) + " (" + String.join(", ", blas.cublas().files()) + ")");
        report.addAll(notes);
        return new CudaExecutable(backend, graph.name(), batch, stream, steps, inputs, outputs, pinned, cudaGraph,
                scope, report);
    }

    private static CudaExecutable.Io io(String name, Map<String, int[]> shapes, BufferPlan plan, DeviceBuffer weights,
                                        DeviceBuffer activations, long stagingOffset) {
        BufferPlan.Location l = plan.location(name);
        long base = l.area() == BufferPlan.Area.WEIGHTS ? weights.address() : activations.address();
        int[] shape = shapes.get(name);
        return new CudaExecutable.Io(name, shape, base + l.offset(), 4 * Shapes.elementCount(shape), stagingOffset);
    }

    private List<String> report(Graph g, int batch, BufferPlan plan, List<Step> steps, Workspace ws, CudaOptions o,
                                boolean graphCaptured) {
        List<String> r = new ArrayList<>();
        r.add("device " + backend.device() + ", model '" + g.name() + "', batch " + batch);
        r.add("memory: weights " + DeviceOutOfMemoryException.size(plan.weightBytes()) + ", activations "
                + DeviceOutOfMemoryException.size(plan.arenaBytes()) + ", workspace " + DeviceOutOfMemoryException.size(ws.bytes()));
        r.add("options: conv-path=" + o.convPath().name().toLowerCase() + " conv-algo=" + o.algoSearch().name().toLowerCase()
                + " tf32=" + o.tf32() + " cuda-graph=" + (o.cudaGraph() ? (graphCaptured ? "captured" : "failed") : "off"));
        backend.kernels().origins().forEach((m, origin) -> r.add("kernels " + m + ": " + origin));
        for (Step s : steps) r.add(s.node() + ": " + s.describe());
        return r;
    }

    private static void closeQuietly(Resources scope, Throwable cause) {
        try {
            scope.close();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
        }
    }
}
