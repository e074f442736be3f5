package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.Kernels.Kernel;
import io.foldrt.backend.cuda.dnn.ConvAlgorithms;
import io.foldrt.backend.cuda.dnn.CublasHandle;
import io.foldrt.backend.cuda.dnn.CudnnDescriptor;
import io.foldrt.backend.cuda.dnn.CudnnHandle;
import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.KernelArgs;
import io.foldrt.backend.cuda.driver.PinnedBuffer;
import io.foldrt.backend.cuda.driver.Resources;
import io.foldrt.backend.cuda.geometry.AxisSplit;
import io.foldrt.backend.cuda.geometry.BroadcastGeometry;
import io.foldrt.backend.cuda.geometry.ConvGeometry;
import io.foldrt.backend.cuda.geometry.ConvTransposeGeometry;
import io.foldrt.backend.cuda.geometry.GemmMapping;
import io.foldrt.backend.cuda.geometry.MatMulPlan;
import io.foldrt.backend.cuda.geometry.MemoryPlanner;
import io.foldrt.backend.cuda.geometry.PoolGeometry;
import io.foldrt.ir.Activation;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.nativebind.Cudnn;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Turns each graph node into steps for one executable: creates the cuDNN descriptors (owned by the
 * executable's scope), chooses convolution algorithms, registers workspace needs and prepares kernel
 * argument blocks. Addresses come from the {@link BufferPlan}.
 */
final class Lowering {
    final CudaOptions options;
    private final Kernels kernels;
    final ConvAlgorithms algorithms;
    private final CudaStream stream;
    final CudnnHandle dnn;
    private final CublasHandle blas;
    private final Arena arena;
    final Resources scope;
    final Workspace workspace;
    private final Map<String, int[]> shapes;
    private final BufferPlan plan;
    private final long weightsBase, arenaBase;
    final Cudnn cudnn;
    final int mathType;
    private final ConvLowering convs;

    Lowering(CudaOptions options, Kernels kernels, ConvAlgorithms algorithms, CudaStream stream, CudnnHandle dnn,
             CublasHandle blas, Arena arena, Resources scope, Workspace workspace, Map<String, int[]> shapes,
             BufferPlan plan, long weightsBase, long arenaBase) {
        this.options = options;
        this.kernels = kernels;
        this.algorithms = algorithms;
        this.stream = stream;
        this.dnn = dnn;
        this.blas = blas;
        this.arena = arena;
        this.scope = scope;
        this.workspace = workspace;
        this.shapes = shapes;
        this.plan = plan;
        this.weightsBase = weightsBase;
        this.arenaBase = arenaBase;
        this.cudnn = dnn.cudnn();
        this.mathType = ConvAlgorithms.mathType(options.tf32());
        this.convs = new ConvLowering(this);
    }

    /** Scratch bytes a node needs while it runs, known from shapes alone (for the buffer plan). */
    static long scratchBytes(Node n, Map<String, int[]> shapes) {
        try {
            return scratchOnDevice(n, shapes);
        } catch (ModelException e) {
            return 0; // the node will be refused (or run on the host) when it is lowered
        }
    }

    private static long scratchOnDevice(Node n, Map<String, int[]> shapes) {
        return switch (n.op()) {
            case Op.Conv c -> {
                ConvGeometry g = ConvGeometry.of(n.name(), c, shapes.get(n.input(0)), shapes.get(n.input(1)));
                yield g.needsPrePad() ? 4 * Shapes.elementCount(g.cudnnInputDims()) : 0;
            }
            case Op.ConvTranspose c -> {
                ConvTransposeGeometry g = ConvTransposeGeometry.of(n.name(), c, shapes.get(n.input(0)), shapes.get(n.input(1)));
                yield g.needsCrop() ? 4 * Shapes.elementCount(g.dxDims()) : 0;
            }
            default -> 0;
        };
    }

    /**
     * The node's steps; a node the GPU path refuses (a ModelException naming node and op) runs on the host
     * instead when allow-cpu-fallback is set.
     */
    List<Step> lower(Node n) {
        try {
            return lowerOnDevice(n);
        } catch (ModelException e) {
            if (!options.allowCpuFallback()) throw e;
            return List.of(hostStep(n, e.getMessage()));
        }
    }

    private Step hostStep(Node n, String reason) {
        List<HostStep.Slot> in = new ArrayList<>();
        long at = 0;
        for (String v : new java.util.LinkedHashSet<>(n.inputs())) {
            if (v.isEmpty()) continue;
            in.add(new HostStep.Slot(v, shape(v), address(v), at));
            at += MemoryPlanner.align(in.getLast().bytes(), BufferPlan.ALIGNMENT);
        }
        HostStep.Slot out = new HostStep.Slot(n.output(), shape(n.output()), address(n.output()), at);
        PinnedBuffer staging = scope.add(PinnedBuffer.allocate(at + out.bytes()));
        return new HostStep(n, in, out, stream, staging, reason);
    }

    private List<Step> lowerOnDevice(Node n) {
        return switch (n.op()) {
            case Op.Conv c -> convs.conv(n, c);
            case Op.ConvTranspose c -> convs.convTranspose(n, c);
            case Op.BatchNorm b -> batchNorm(n, b);
            case Op.Gemm g -> gemm(n, g);
            case Op.MatMul m -> matMul(n);
            case Op.Add a -> binary(n, Kernels.OP_ADD);
            case Op.Mul m -> binary(n, Kernels.OP_MUL);
            case Op.Relu r -> List.of(activation(n, n.input(0), n.output(), Activation.RELU));
            case Op.Clip c -> List.of(activation(n, n.input(0), n.output(), Activation.clip(c.min(), c.max())));
            case Op.Sigmoid s -> List.of(sigmoid(n));
            case Op.Softmax s -> List.of(softmax(n, s));
            case Op.MaxPool p -> List.of(pool(n));
            case Op.AveragePool p -> List.of(pool(n));
            case Op.GlobalAveragePool p -> List.of(pool(n));
            case Op.Concat c -> concat(n, c);
            case Op.Flatten f -> List.of();   // aliases: the buffer plan gave the output the input's memory
            case Op.Reshape r -> List.of();
            case Op.Identity i -> List.of();
        };
    }

    // ---- addresses ----

    long address(String value) {
        BufferPlan.Location l = plan.location(value);
        return (l.area() == BufferPlan.Area.WEIGHTS ? weightsBase : arenaBase) + l.offset();
    }

    long scratch(Node n) {
        return arenaBase + plan.scratch(n.name()).offset();
    }

    int[] shape(String value) {
        return shapes.get(value);
    }

    static ModelException fail(Node n, String what) {
        return new ModelException("node '" + n.name() + "' (" + n.op().type() + ") on cuda: " + what);
    }

    CudnnDescriptor tensor(int[] nchw) {
        return scope.add(CudnnDescriptor.tensor(cudnn, nchw));
    }

    // ---- normalisation and softmax ----

    private List<Step> batchNorm(Node n, Op.BatchNorm op) {
        int[] s = shape(n.input(0));
        long inner = 1;
        for (int i = 2; i < s.length; i++) inner *= s[i];
        CudnnDescriptor xd = tensor(new int[] {s[0], s[1], Math.toIntExact(inner), 1});
        CudnnDescriptor bn = scope.add(CudnnDescriptor.derived(cudnn,
                (c, d) -> c.deriveBNTensorDescriptor(d, xd.segment(), Cudnn.CUDNN_BATCHNORM_SPATIAL)));
        MemorySegment x = MemorySegment.ofAddress(address(n.input(0))), y = MemorySegment.ofAddress(address(n.output()));
        MemorySegment scale = MemorySegment.ofAddress(address(n.input(1))), bias = MemorySegment.ofAddress(address(n.input(2)));
        MemorySegment mean = MemorySegment.ofAddress(address(n.input(3))), var = MemorySegment.ofAddress(address(n.input(4)));
        double eps = op.epsilon();
        return List.of(new CudnnStep(n.name(), dnn, h -> h.cudnn().batchNormalizationForwardInference(h.segment(),
                Cudnn.CUDNN_BATCHNORM_SPATIAL, Scalars.ONE, Scalars.ZERO, xd.segment(), x, xd.segment(), y, bn.segment(),
                scale, bias, mean, var, eps), "cudnnBatchNormalizationForwardInference"));
    }

    private Step softmax(Node n, Op.Softmax op) {
        AxisSplit a = AxisSplit.of(shape(n.input(0)), op.axis(), op.coerce2d());
        // CHANNEL mode normalises over C for every (n, h, w): exactly [outer, len, inner, 1].
        CudnnDescriptor d = tensor(new int[] {Math.toIntExact(a.outer()), a.len(), Math.toIntExact(a.inner()), 1});
        MemorySegment x = MemorySegment.ofAddress(address(n.input(0))), y = MemorySegment.ofAddress(address(n.output()));
        return new CudnnStep(n.name(), dnn, h -> h.cudnn().softmaxForward(h.segment(), Cudnn.CUDNN_SOFTMAX_ACCURATE,
                Cudnn.CUDNN_SOFTMAX_MODE_CHANNEL, Scalars.ONE, d.segment(), x, Scalars.ZERO, d.segment(), y),
                "cudnnSoftmaxForward");
    }

    // ---- matrix products ----

    private List<Step> gemm(Node n, Op.Gemm op) {
        int[] out = shape(n.output()), a = shape(n.input(0));
        int m = out[0], cols = out[1], k = op.transA() ? a[0] : a[1];
        GemmMapping g = GemmMapping.rowMajor(m, cols, k, op.transA(), op.transB());
        long y = address(n.output());
        List<Step> steps = new ArrayList<>();
        String c = n.input(2);
        boolean hasC = !c.isEmpty() && op.beta() != 0f;
        int[] cs = hasC ? shape(c) : null;
        // Linear layers: C is a row bias and beta is 1, so it joins the activation in one kernel after the GEMM.
        boolean rowBias = hasC && op.beta() == 1f && Shapes.elementCount(cs) == cols && cs[cs.length - 1] == cols;
        MemorySegment beta = Scalars.ZERO;
        if (hasC && !rowBias) {
            BroadcastGeometry bg = BroadcastGeometry.copy(cs, out);
            steps.add(broadcast(n, address(c), 0, y, bg, Kernels.OP_COPY, "C broadcast"));
            beta = Scalars.of(arena, op.beta());
        }
        MemorySegment alpha = op.alpha() == 1f ? Scalars.ONE : Scalars.of(arena, op.alpha());
        steps.add(new SgemmStep(n.name(), blas, g, alpha, beta, address(n.input(0)), address(n.input(1)), y));
        Activation act = op.activation();
        if (rowBias) {
            steps.add(biasAct(n, y, address(c), y, (long) m * cols, cols, 1, act, "bias + " + act));
        } else if (act.kind() != Activation.Kind.NONE) {
            steps.add(activation(n, n.output(), n.output(), act));
        }
        return steps;
    }

    private List<Step> matMul(Node n) {
        MatMulPlan p = MatMulPlan.of(shape(n.input(0)), shape(n.input(1)), shape(n.output()));
        GemmMapping g = GemmMapping.rowMajor(p.m(), p.n(), p.k(), false, false);
        long a = address(n.input(0)), b = address(n.input(1)), y = address(n.output());
        List<Step> steps = new ArrayList<>();
        for (MatMulPlan.Call call : p.calls()) {
            steps.add(new SgemmStep(n.name(), blas, g, Scalars.ONE, Scalars.ZERO, a + 4 * call.a(), b + 4 * call.b(),
                    y + 4 * call.y()));
        }
        return steps;
    }

    // ---- element-wise, pooling, data movement (project kernels) ----

    private List<Step> binary(Node n, int op) {
        BroadcastGeometry g = BroadcastGeometry.of(shape(n.input(0)), shape(n.input(1)), shape(n.output()));
        if (g == null) throw fail(n, "broadcast needs more than " + BroadcastGeometry.RANK + " dims");
        return List.of(broadcast(n, address(n.input(0)), address(n.input(1)), address(n.output()), g, op,
                op == Kernels.OP_ADD ? "add" : "mul"));
    }

    private Step broadcast(Node n, long a, long b, long y, BroadcastGeometry g, int op, String what) {
        KernelArgs args = Kernels.args(Kernel.BINARY_BCAST, arena).ptr(a).ptr(b).ptr(y).i64(g.elements()).i32(op);
        for (int d : g.dims()) args.i32(d);
        for (long s : g.stridesA()) args.i64(s);
        for (long s : g.stridesB()) args.i64(s);
        return new KernelStep(n.name(), kernels.elementwise(Kernel.BINARY_BCAST, g.elements(), args), stream, what);
    }

    Step activation(Node n, String in, String out, Activation act) {
        return biasAct(n, address(in), 0, address(out), Shapes.elementCount(shape(out)), 1, 1, act, act.toString());
    }

    private Step biasAct(Node n, long x, long bias, long y, long count, int channels, int inner, Activation act, String what) {
        int kind = switch (act.kind()) {
            case NONE -> Kernels.ACT_NONE;
            case RELU -> Kernels.ACT_RELU;
            case CLIP -> Kernels.ACT_CLIP;
        };
        KernelArgs args = Kernels.args(Kernel.BIAS_ACT, arena).ptr(x).ptr(bias).ptr(y).i64(count).i32(channels)
                .i32(inner).i32(bias != 0 ? 1 : 0).i32(kind).f32(act.min()).f32(act.max());
        return new KernelStep(n.name(), kernels.elementwise(Kernel.BIAS_ACT, count, args), stream, what);
    }

    private Step sigmoid(Node n) {
        long count = Shapes.elementCount(shape(n.output()));
        KernelArgs args = Kernels.args(Kernel.BIAS_ACT, arena).ptr(address(n.input(0))).ptr(0).ptr(address(n.output()))
                .i64(count).i32(1).i32(1).i32(0).i32(Kernels.ACT_SIGMOID).f32(0).f32(0);
        return new KernelStep(n.name(), kernels.elementwise(Kernel.BIAS_ACT, count, args), stream, "sigmoid");
    }

    private Step pool(Node n) {
        PoolGeometry g = PoolGeometry.of(n.op(), shape(n.input(0)), shape(n.output()));
        KernelArgs args = Kernels.args(Kernel.POOL2D, arena).ptr(address(n.input(0))).ptr(address(n.output()))
                .i64(g.outputElements()).i32(g.h()).i32(g.w()).i32(g.outH()).i32(g.outW()).i32(g.kh()).i32(g.kw())
                .i32(g.strideH()).i32(g.strideW()).i32(g.padTop()).i32(g.padLeft()).i32(g.padBottom()).i32(g.padRight())
                .i32(g.dilationH()).i32(g.dilationW()).i32(g.mode());
        return new KernelStep(n.name(), kernels.elementwise(Kernel.POOL2D, g.outputElements(), args), stream,
                n.op().type());
    }

    Step padCrop(Node n, long src, long dst, long planes, int hs, int ws, int hd, int wd, int offY, int offX, String what) {
        long count = planes * hd * wd;
        KernelArgs args = Kernels.args(Kernel.PAD_CROP, arena).ptr(src).ptr(dst).i64(count).i32(hs).i32(ws).i32(hd)
                .i32(wd).i32(offY).i32(offX);
        return new KernelStep(n.name(), kernels.elementwise(Kernel.PAD_CROP, count, args), stream, what);
    }

    private List<Step> concat(Node n, Op.Concat op) {
        int[] out = shape(n.output());
        AxisSplit whole = AxisSplit.of(out, op.axis(), false);
        long row = (long) whole.len() * whole.inner();
        long offset = 0;
        long y = address(n.output());
        List<Step> steps = new ArrayList<>();
        for (String in : n.inputs()) {
            AxisSplit part = AxisSplit.of(shape(in), op.axis(), false);
            long chunk = (long) part.len() * part.inner(), count = whole.outer() * chunk;
            if (count > 0) {
                KernelArgs args = Kernels.args(Kernel.CONCAT_COPY, arena).ptr(address(in)).ptr(y).i64(count).i64(chunk)
                        .i64(row).i64(offset);
                steps.add(new KernelStep(n.name(), kernels.elementwise(Kernel.CONCAT_COPY, count, args), stream,
                        "concat " + in));
            }
            offset += chunk;
        }
        return steps;
    }
}
