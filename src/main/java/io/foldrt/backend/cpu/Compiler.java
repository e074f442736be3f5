package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lowers a graph at one batch size into the steps, buffer plan and input/output bindings of a
 * {@link CpuExecutable}. Decisions made here, once: Reshape/Flatten/Identity and BatchNorm's statistics
 * outputs become aliases of the value they view (no step, no copy); a Relu/Clip that is the only reader of
 * a Conv, Gemm, BatchNorm, Add or Mul output (and not a graph output itself) is fused into that op; an Add
 * that is the only reader of a (non-depthwise) Conv or BatchNorm output without activation, and whose other
 * operand has the same shape and is computed already, is fused into that op with the Relu/Clip after it
 * (ResNet's residual connection: conv, or BN, + add + ReLU in one pass, whether BN is folded or not); every
 * intermediate and temporary gets a slot from {@link MemoryPlanner}; values that are graph outputs get a
 * fresh array per run instead, which is handed to the caller.
 */
final class Compiler {
    /** Floats each buffer slot has beyond its largest value: 4 vectors of 16. */
    private static final int SLOT_SLACK = 64;

    enum Kind { INPUT, CONSTANT, NODE, TEMP }

    private final Graph graph;
    private final int batch;
    private final int threads;
    private final MicroKernel kernel;
    private final boolean winograd;
    private final Map<String, int[]> shapes;
    private final Map<String, List<Node>> consumers;
    private final Workspace.Spec spec = new Workspace.Spec();

    // The value table: aliases map their name to the id of the value they view.
    private final Map<String, Integer> ids = new HashMap<>();
    private final List<Kind> kinds = new ArrayList<>();
    private final List<Integer> sizes = new ArrayList<>();
    private final List<float[]> constants = new ArrayList<>();

    // absorbed Relu/Clip/Add -> node whose step applies it; in absorption order, for the step labels
    private final Map<Node, Node> absorbed = new LinkedHashMap<>();
    private final List<Step> steps = new ArrayList<>();
    private final List<String> labels = new ArrayList<>();

    private Compiler(Graph graph, int batch, int threads, MicroKernel kernel, boolean winograd) {
        this.graph = graph;
        this.batch = batch;
        this.threads = threads;
        this.kernel = kernel;
        this.winograd = winograd;
        this.shapes = ShapeInference.infer(graph, batch);
        this.consumers = graph.consumers();
    }

    static CpuExecutable compile(Graph graph, int batch, CpuBackend backend) {
        return new Compiler(graph, batch, backend.threads(), backend.kernel(), backend.winograd()).build(backend);
    }

    private CpuExecutable build(CpuBackend backend) {
        for (var e : graph.initializers().entrySet()) {
            Tensor t = e.getValue();
            define(e.getKey(), Kind.CONSTANT, t.size(), t.data()); // steps copy what they keep
        }
        List<CpuExecutable.InputBinding> inputs = new ArrayList<>();
        for (ValueInfo v : graph.inputs()) {
            if (graph.initializers().containsKey(v.name())) continue;
            int[] s = shapes.get(v.name());
            inputs.add(new CpuExecutable.InputBinding(v.name(), define(v.name(), Kind.INPUT, size(s), null), s));
        }
        for (Node n : graph.nodes()) {
            if (!absorbed.containsKey(n)) lower(n);
        }

        // Graph outputs: a value computed here is written straight into a fresh per-run array; anything
        // else (an input, a constant, a second view of the same array) is copied on the way out.
        Set<Integer> fresh = new HashSet<>();
        List<CpuExecutable.OutputBinding> outputs = new ArrayList<>();
        Set<Integer> handedOut = new HashSet<>();
        for (ValueInfo v : graph.outputs()) {
            int id = ids.get(v.name());
            if (kinds.get(id) == Kind.NODE) fresh.add(id);
            boolean copy = kinds.get(id) != Kind.NODE || !handedOut.add(id);
            outputs.add(new CpuExecutable.OutputBinding(v.name(), id, shapes.get(v.name()), copy));
        }

        // Constants still read at run time get a private copy; packed weights already have theirs.
        float[][] values = new float[kinds.size()][];
        Set<Integer> readAtRun = new HashSet<>();
        for (Step s : steps) for (int id : s.reads()) readAtRun.add(id);
        for (var o : outputs) readAtRun.add(o.id());
        for (int id : readAtRun) {
            if (kinds.get(id) == Kind.CONSTANT) values[id] = constants.get(id).clone();
        }
        MemoryPlanner.Plan plan = planBuffers(fresh, values);
        int[] freshIds = fresh.stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] freshSizes = new int[freshIds.length];
        for (int i = 0; i < freshIds.length; i++) freshSizes[i] = sizes.get(freshIds[i]);
        return new CpuExecutable(graph.name(), batch, steps, labels, values, inputs, outputs, freshIds, freshSizes,
                plan, spec, backend);
    }

    /** Plans a slot for every NODE/TEMP value except graph outputs and stores the slot arrays in values. */
    private MemoryPlanner.Plan planBuffers(Set<Integer> fresh, float[][] values) {
        int count = kinds.size();
        int[] first = new int[count], last = new int[count];
        Arrays.fill(first, -1);
        for (int s = 0; s < steps.size(); s++) {
            for (int id : steps.get(s).writes()) if (first[id] < 0) first[id] = s;
            for (int id : steps.get(s).reads()) last[id] = Math.max(last[id], s);
        }
        List<MemoryPlanner.Interval> intervals = new ArrayList<>();
        for (int id = 0; id < count; id++) {
            Kind k = kinds.get(id);
            if ((k == Kind.NODE || k == Kind.TEMP) && !fresh.contains(id)) {
                if (first[id] < 0) throw new IllegalStateException("value " + id + " is never written");
                intervals.add(new MemoryPlanner.Interval(id, sizes.get(id), first[id], Math.max(first[id], last[id])));
            }
        }
        MemoryPlanner.Plan plan = MemoryPlanner.plan(intervals);
        float[][] slots = new float[plan.slotSizes().length][];
        // A few vectors of slack: the vector kernel reads a GEMM operand in place in whole vectors, past the end
        // of its last row (see MatrixB#inPlace); without slack the last block of a value would be copied.
        for (int s = 0; s < slots.length; s++) slots[s] = new float[plan.slotSizes()[s] + SLOT_SLACK];
        for (int i = 0; i < intervals.size(); i++) values[intervals.get(i).value()] = slots[plan.slotOf()[i]];
        return plan;
    }

    /**
     * What a step computes after its op: the residual it adds (a value id, or -1), then the activation it
     * applies, and the value it writes.
     */
    private record Fused(int residual, Activation act, String output) {}

    /**
     * The activation n's step applies and the value it writes: n's own, or, when n has none, those of the
     * Relu/Clip that is the only reader of n's output, which is then absorbed (it gets no step).
     */
    private Fused absorbActivation(Node n, Activation own) {
        return absorbActivation(n, n, own, -1);
    }

    /** {@link #absorbActivation(Node, Activation)} after {@code last}, whose op {@code into}'s step computes. */
    private Fused absorbActivation(Node into, Node last, Activation own, int residual) {
        Node follower = own.kind() == Activation.Kind.NONE ? fusableActivation(last) : null;
        if (follower == null) return new Fused(residual, own, last.output());
        absorbed.put(follower, into);
        return new Fused(residual, ActivationLoops.of(follower.op()), follower.output());
    }

    /**
     * For a Conv or BatchNorm n without activation: when an Add is the only reader of n's output, and its
     * other operand has the same shape and is computed already (it must be ready when n's step runs), the Add
     * is absorbed into n's step with the Relu/Clip after it; otherwise as {@link #absorbActivation}. In a
     * ResNet block the Add's operands are the last conv (or BN) of the main branch and the shortcut; when the
     * shortcut is a conv that comes later in the graph, the Add goes into that one instead.
     */
    private Fused absorbResidual(Node n, Activation own) {
        Node add = own.kind() == Activation.Kind.NONE ? fusableAdd(n) : null;
        if (add == null) return absorbActivation(n, own);
        absorbed.put(add, n);
        String other = add.input(0).equals(n.output()) ? add.input(1) : add.input(0);
        return absorbActivation(n, add, Activation.NONE, id(other));
    }

    private void lower(Node n) {
        switch (n.op()) {
            case Op.Identity o -> alias(n.output(), n.input(0));
            case Op.Flatten o -> alias(n.output(), n.input(0));
            case Op.Reshape o -> alias(n.output(), n.input(0));
            case Op.Conv c -> conv(n, c, isDepthwise(n, c) ? absorbActivation(n, c.activation())
                    : absorbResidual(n, c.activation()));
            case Op.Gemm gm -> gemm(n, gm, absorbActivation(n, gm.activation()));
            case Op.BatchNorm bn -> batchNorm(n, bn, absorbResidual(n, Activation.NONE));
            case Op.ConvTranspose c -> convTranspose(n, c);
            case Op.MatMul m -> {
                int[] as = shape(n.input(0)), bs = shape(n.input(1)), ys = shape(n.output());
                int temp = temp(MatMulStep.packedSize(as));
                add(n, new MatMulStep(id(n.input(0)), id(n.input(1)), node(n.output()), temp, as, bs, ys,
                        constant(n.input(1)), threads, spec));
            }
            case Op.Add a -> binary(n, false, absorbActivation(n, Activation.NONE));
            case Op.Mul m -> binary(n, true, absorbActivation(n, Activation.NONE));
            case Op.Relu r -> unaryActivation(n, Activation.RELU);
            case Op.Clip c -> unaryActivation(n, Activation.clip(c.min(), c.max()));
            case Op.Sigmoid s -> add(n, UnaryStep.sigmoid(id(n.input(0)), node(n.output()), size(shape(n.output())),
                    threads));
            case Op.Softmax s -> add(n, new SoftmaxStep(id(n.input(0)), node(n.output()), shape(n.input(0)), s,
                    threads));
            case Op.MaxPool p -> pool(n, p.kernel(), p.strides(), p.pads(), p.dilations(), true, false);
            case Op.AveragePool p -> pool(n, p.kernel(), p.strides(), p.pads(), Hw.ONE, false, p.countIncludePad());
            case Op.GlobalAveragePool p -> add(n, new GlobalAveragePoolStep(id(n.input(0)), node(n.output()),
                    shape(n.input(0)), threads));
            case Op.Concat c -> {
                int[] in = new int[n.inputs().size()];
                int[][] ss = new int[in.length][];
                for (int i = 0; i < in.length; i++) {
                    in[i] = id(n.input(i));
                    ss[i] = shape(n.input(i));
                }
                add(n, new ConcatStep(in, node(n.output()), ss, shape(n.output()), c.axis()));
            }
        }
    }

    /** The Relu/Clip node that is the only reader of n's output, if that output is not a graph output. */
    private Node fusableActivation(Node n) {
        String v = n.output();
        if (graph.isGraphOutput(v)) return null;
        List<Node> readers = consumers.getOrDefault(v, List.of());
        if (readers.size() != 1) return null;
        Node r = readers.get(0);
        return ActivationLoops.of(r.op()) != null && r.inputs().size() == 1 ? r : null;
    }

    /**
     * The Add that is the only reader of n's output (not a graph output) and whose other operand has the
     * output's shape (no broadcasting) and is already defined, or null.
     */
    private Node fusableAdd(Node n) {
        String v = n.output();
        if (graph.isGraphOutput(v)) return null;
        List<Node> readers = consumers.getOrDefault(v, List.of());
        if (readers.size() != 1 || !(readers.get(0).op() instanceof Op.Add) || readers.get(0).inputs().size() != 2) {
            return null;
        }
        Node add = readers.get(0);
        String a = add.input(0), b = add.input(1);
        if (a.equals(b)) return null; // x + x: both operands are this step's own output
        String other = a.equals(v) ? b : a;
        boolean sameShape = Arrays.equals(shape(other), shape(v)) && Arrays.equals(shape(add.output()), shape(v));
        return sameShape && ids.containsKey(other) ? add : null;
    }

    /** Depthwise convs run {@link DepthwiseConvStep}, which takes an activation but no residual. */
    private boolean isDepthwise(Node n, Op.Conv c) {
        return shape(n.input(1))[1] == 1 && c.group() > 1;
    }

    private void conv(Node n, Op.Conv c, Fused f) {
        int[] xs = shape(n.input(0)), ws = shape(n.input(1)), ys = shape(n.output());
        float[] w = requireConstant(n, 1, "weights");
        float[] bias = n.input(2).isEmpty() ? null : requireConstant(n, 2, "bias");
        Pads p = c.pads();
        var geo = new ConvGeometry(xs[2], xs[3], ws[2], ws[3], c.strides().h(), c.strides().w(),
                c.dilations().h(), c.dilations().w(), p.top(), p.left(), ys[2], ys[3]);
        int x = id(n.input(0)), y = node(f.output());
        if (isDepthwise(n, c)) {
            add(n, new DepthwiseConvStep(x, y, xs, ys, w, bias, geo, f.act(), threads, spec, kernel));
        } else if (winograd && Winograd.applies(kernel, c.group(), xs[1], ys[1], geo, f.act())) {
            int phases = temp(WinogradConvStep.phaseSize(batch, xs[1], geo));
            add(n, new WinogradConvStep(x, y, phases, f.residual(), xs, ys, w, bias, geo, f.act(), threads, spec));
        } else {
            int size = ConvStep.packedSize(xs, ys, ws[2], ws[3], c.group(), kernel);
            int packed = size > 0 ? temp(size) : -1;
            add(n, new ConvStep(x, y, packed, f.residual(), xs, ys, w, ws[2], ws[3], bias, geo, c.group(), f.act(),
                    threads, spec, kernel));
        }
    }

    private void convTranspose(Node n, Op.ConvTranspose c) {
        int[] xs = shape(n.input(0)), ws = shape(n.input(1)), ys = shape(n.output());
        float[] w = requireConstant(n, 1, "weights");
        float[] bias = n.input(2).isEmpty() ? null : requireConstant(n, 2, "bias");
        Pads p = c.pads();
        var geo = new ConvGeometry(xs[2], xs[3], ws[2], ws[3], c.strides().h(), c.strides().w(),
                c.dilations().h(), c.dilations().w(), p.top(), p.left(), ys[2], ys[3]);
        int cols = temp(ConvTransposeStep.colsSize(xs, ys, ws[2], ws[3], c.group()));
        add(n, new ConvTransposeStep(id(n.input(0)), node(n.output()), cols, xs, ys, w, bias, geo, c.group(),
                threads, spec));
    }

    private void gemm(Node n, Op.Gemm gm, Fused f) {
        int[] as = shape(n.input(0)), bs = shape(n.input(1)), ys = shape(n.output());
        boolean hasC = !n.input(2).isEmpty();
        float[] constA = constant(n.input(0));
        int packed = constA == null ? temp(PackedA.size(ys[0], gm.transA() ? as[0] : as[1])) : -1;
        add(n, new GemmStep(gm, id(n.input(0)), id(n.input(1)), hasC ? id(n.input(2)) : -1, node(f.output()), packed,
                as, bs, hasC ? shape(n.input(2)) : null, ys, constA, constant(n.input(1)),
                hasC ? constant(n.input(2)) : null, f.act(), threads, spec, kernel));
    }

    private void batchNorm(Node n, Op.BatchNorm bn, Fused f) {
        for (int i = 1; i < n.outputs().size(); i++) {
            String extra = n.outputs().get(i);
            if (extra.isEmpty()) continue;
            if (i <= 2) {
                alias(extra, n.input(2 + i)); // inference mode passes the running mean / var through
            } else if (graph.isGraphOutput(extra) || consumers.containsKey(extra)) {
                throw new ModelException("node '" + n.name() + "' (BatchNormalization): output " + i
                        + " ('" + extra + "') exists only in training mode and cannot be computed here");
            }
        }
        int[] params = new int[4];
        float[][] constParams = new float[4][];
        for (int i = 0; i < 4; i++) {
            params[i] = id(n.input(1 + i));
            constParams[i] = constant(n.input(1 + i));
        }
        add(n, new BatchNormStep(id(n.input(0)), node(f.output()), f.residual(), params, shape(n.input(0)),
                constParams, bn.epsilon(), f.act(), threads, kernel.usesVectorApi()));
    }

    private void pool(Node n, Hw k, Hw s, Pads p, Hw d, boolean max, boolean countPad) {
        int[] xs = shape(n.input(0)), ys = shape(n.output());
        var geo = new ConvGeometry(xs[2], xs[3], k.h(), k.w(), s.h(), s.w(), d.h(), d.w(), p.top(), p.left(),
                ys[2], ys[3]);
        add(n, new PoolStep(id(n.input(0)), node(n.output()), xs, geo, p, max, countPad, threads, spec, kernel));
    }

    private void binary(Node n, boolean mul, Fused f) {
        add(n, new BinaryStep(id(n.input(0)), id(n.input(1)), node(f.output()), shape(n.input(0)), shape(n.input(1)),
                shape(n.output()), mul, f.act(), threads));
    }

    private void unaryActivation(Node n, Activation act) {
        add(n, UnaryStep.activation(id(n.input(0)), node(n.output()), size(shape(n.output())), act, threads));
    }

    // ---- value table ----

    private int define(String name, Kind kind, int size, float[] data) {
        int id = kinds.size();
        kinds.add(kind);
        sizes.add(size);
        constants.add(data);
        if (name != null) ids.put(name, id);
        return id;
    }

    /** A new value computed by a step. */
    private int node(String name) {
        return define(name, Kind.NODE, size(shape(name)), null);
    }

    /** Scratch that lives only while its step runs. */
    private int temp(int floats) {
        return define(null, Kind.TEMP, floats, null);
    }

    private void alias(String name, String of) {
        ids.put(name, id(of));
    }

    private int id(String name) {
        Integer id = ids.get(name);
        if (id == null) throw new IllegalStateException("value '" + name + "' is not defined yet");
        return id;
    }

    /** The data of a constant value (through aliases), or null when it is computed or fed at run time. */
    private float[] constant(String name) {
        int id = id(name);
        return kinds.get(id) == Kind.CONSTANT ? constants.get(id) : null;
    }

    private float[] requireConstant(Node n, int input, String what) {
        float[] c = constant(n.input(input));
        if (c == null) {
            throw new ModelException("node '" + n.name() + "' (" + n.op().type() + "): " + what + " '" + n.input(input)
                    + "' must be an initializer for the cpu backend, which packs them at compile time");
        }
        return c;
    }

    private int[] shape(String name) {
        return shapes.get(name);
    }

    private static int size(int[] shape) {
        return Math.toIntExact(Shapes.elementCount(shape));
    }

    private void add(Node n, Step s) {
        steps.add(s);
        StringBuilder label = new StringBuilder(n.name()).append(" (").append(n.op().type());
        absorbed.forEach((follower, into) -> {
            if (into == n) label.append('+').append(follower.op().type());
        });
        labels.add(label.append(')').toString());
    }
}
