package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import ai.onnx.proto.OnnxMl.NodeProto;
import io.foldrt.ir.Activation;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes one IR node as ONNX nodes of the target opset. Most ops map one to one; a fused activation becomes
 * a separate Relu or Clip node (ONNX has no fused convolution), and attributes that are inputs in newer
 * opsets (Clip bounds, Reshape shape) become initializers.
 */
final class OpExports {
    private final GraphExporter ctx;
    private final int opset;

    OpExports(GraphExporter ctx) {
        this.ctx = ctx;
        this.opset = ctx.opset();
    }

    List<NodeProto> export(Node n) {
        List<NodeProto> out = new ArrayList<>();
        String y = n.output();
        switch (n.op()) {
            case Op.Conv c -> {
                String pre = activationInput(n, c.activation());
                int[] w = ctx.shape(n.input(1));
                out.add(Protos.node("Conv", n.name(), n.inputs(), List.of(pre))
                        .addAttribute(Protos.ints("kernel_shape", w[2], w[3]))
                        .addAttribute(Protos.hw("strides", c.strides()))
                        .addAttribute(Protos.pads(c.pads()))
                        .addAttribute(Protos.hw("dilations", c.dilations()))
                        .addAttribute(Protos.i("group", c.group())).build());
                activation(n, c.activation(), pre, out);
            }
            case Op.ConvTranspose c -> {
                int[] w = ctx.shape(n.input(1));
                var b = Protos.node("ConvTranspose", n.name(), n.inputs(), n.outputs())
                        .addAttribute(Protos.ints("kernel_shape", w[2], w[3]))
                        .addAttribute(Protos.hw("strides", c.strides()))
                        .addAttribute(Protos.pads(c.pads()))
                        .addAttribute(Protos.hw("dilations", c.dilations()))
                        .addAttribute(Protos.i("group", c.group()));
                if (!c.outputPadding().equals(Hw.ZERO)) b.addAttribute(Protos.hw("output_padding", c.outputPadding()));
                out.add(b.build());
            }
            case Op.BatchNorm bn -> batchNorm(n, bn, out);
            case Op.Gemm gm -> {
                String pre = activationInput(n, gm.activation());
                List<String> in = new ArrayList<>(n.inputs());
                if (in.size() < 3 && opset < 11) in.add(zeroBias(n)); // C is optional only from opset 11
                var b = Protos.node("Gemm", n.name(), in, List.of(pre));
                if (gm.alpha() != 1f) b.addAttribute(Protos.f("alpha", gm.alpha()));
                if (gm.beta() != 1f) b.addAttribute(Protos.f("beta", gm.beta()));
                if (gm.transA()) b.addAttribute(Protos.i("transA", 1));
                if (gm.transB()) b.addAttribute(Protos.i("transB", 1));
                out.add(b.build());
                activation(n, gm.activation(), pre, out);
            }
            case Op.MatMul m -> out.add(plain("MatMul", n));
            case Op.Add a -> out.add(plain("Add", n));
            case Op.Mul m -> out.add(plain("Mul", n));
            case Op.Relu r -> out.add(plain("Relu", n));
            case Op.Sigmoid s -> out.add(plain("Sigmoid", n));
            case Op.Identity i -> out.add(plain("Identity", n));
            case Op.GlobalAveragePool p -> out.add(plain("GlobalAveragePool", n));
            case Op.Clip c -> out.add(clip(n.name(), n.input(0), y, c.min(), c.max()));
            case Op.Softmax s -> softmax(n, s, out);
            case Op.MaxPool p -> {
                var b = Protos.node("MaxPool", n.name(), n.inputs(), n.outputs())
                        .addAttribute(Protos.hw("kernel_shape", p.kernel()))
                        .addAttribute(Protos.hw("strides", p.strides()))
                        .addAttribute(Protos.pads(p.pads()));
                if (!p.dilations().equals(Hw.ONE)) b.addAttribute(Protos.hw("dilations", since(10, n, "dilations", p.dilations())));
                if (p.ceilMode()) b.addAttribute(Protos.i("ceil_mode", since(10, n, "ceil_mode", 1)));
                out.add(b.build());
            }
            case Op.AveragePool p -> {
                var b = Protos.node("AveragePool", n.name(), n.inputs(), n.outputs())
                        .addAttribute(Protos.hw("kernel_shape", p.kernel()))
                        .addAttribute(Protos.hw("strides", p.strides()))
                        .addAttribute(Protos.pads(p.pads()));
                if (p.ceilMode()) b.addAttribute(Protos.i("ceil_mode", since(10, n, "ceil_mode", 1)));
                if (p.countIncludePad()) b.addAttribute(Protos.i("count_include_pad", 1));
                out.add(b.build());
            }
            case Op.Flatten f -> out.add(Protos.node("Flatten", n.name(), n.inputs(), n.outputs())
                    .addAttribute(Protos.i("axis", axis(n, f.axis(), ctx.shape(n.input(0)).length))).build());
            case Op.Concat c -> out.add(Protos.node("Concat", n.name(), n.inputs(), n.outputs())
                    .addAttribute(Protos.i("axis", axis(n, c.axis(), ctx.shape(y).length))).build());
            case Op.Reshape r -> out.add(reshape(n, r));
        }
        return out;
    }

    /**
     * Inference-mode BatchNormalization has one output in ONNX (extra outputs mean training mode), so the
     * IR's pass-through statistics outputs become Identity nodes over the running mean and variance.
     */
    private void batchNorm(Node n, Op.BatchNorm bn, List<NodeProto> out) {
        out.add(Protos.node("BatchNormalization", n.name(), n.inputs(), List.of(n.output()))
                .addAttribute(Protos.f("epsilon", (float) bn.epsilon())).build());
        if (n.outputs().size() > 3) {
            throw new ModelException("node " + q(n.name()) + " (BatchNormalization): outputs beyond the running mean and "
                    + "variance (saved statistics) exist only in training mode and cannot be written");
        }
        for (int i = 1; i < n.outputs().size(); i++) {
            String stat = n.outputs().get(i);
            if (stat.isEmpty()) continue;
            out.add(Protos.node("Identity", ctx.freshNode(n.name() + (i == 1 ? "_mean" : "_var")),
                    List.of(n.input(2 + i)), List.of(stat)).build());
        }
    }

    private static NodeProto plain(String type, Node n) {
        return Protos.node(type, n.name(), n.inputs(), n.outputs()).build();
    }

    /** The value the conv/gemm writes: its own output, or a fresh one when an activation node follows. */
    private String activationInput(Node n, Activation a) {
        return a.kind() == Activation.Kind.NONE ? n.output() : ctx.freshValue(n.output() + "_preact");
    }

    private void activation(Node n, Activation a, String in, List<NodeProto> out) {
        switch (a.kind()) {
            case NONE -> { }
            case RELU -> out.add(Protos.node("Relu", ctx.freshNode(n.name() + "_relu"), List.of(in), List.of(n.output())).build());
            case CLIP -> out.add(clip(ctx.freshNode(n.name() + "_clip"), in, n.output(), a.min(), a.max()));
        }
    }

    /** Clip bounds are attributes before opset 11 and optional inputs from 11 on; infinite bounds are omitted. */
    private NodeProto clip(String name, String in, String out, float min, float max) {
        boolean hasMin = min != Float.NEGATIVE_INFINITY, hasMax = max != Float.POSITIVE_INFINITY;
        if (opset < 11) {
            var b = Protos.node("Clip", name, List.of(in), List.of(out));
            if (hasMin) b.addAttribute(Protos.f("min", min));
            if (hasMax) b.addAttribute(Protos.f("max", max));
            return b.build();
        }
        List<String> ins = new ArrayList<>(List.of(in));
        if (hasMin || hasMax) ins.add(hasMin ? scalar(name + "_min", min) : "");
        if (hasMax) ins.add(scalar(name + "_max", max));
        return Protos.node("Clip", name, ins, List.of(out)).build();
    }

    private String scalar(String base, float v) {
        String name = ctx.freshValue(base);
        ctx.addInitializer(name, Tensor.scalar(v));
        return name;
    }

    private String zeroBias(Node n) {
        String name = ctx.freshValue(n.name() + "_C");
        ctx.addInitializer(name, Tensor.zeros(1));
        return name;
    }

    private NodeProto reshape(Node n, Op.Reshape r) {
        long[] shape = r.shape().stream().mapToLong(Long::longValue).toArray();
        boolean zeroMatters = r.allowZero() && r.shape().contains(0L);
        if (zeroMatters && opset < 14) {
            throw new ModelException("node " + q(n.name()) + " (Reshape): allowzero needs opset 14 or newer, not " + opset);
        }
        String shapeName = ctx.freshValue(n.name() + "_shape");
        ctx.addInitializer(TensorCodec.fromInt64(shapeName, shape));
        var b = Protos.node("Reshape", n.name(), List.of(n.input(0), shapeName), n.outputs());
        if (r.allowZero() && opset >= 14) b.addAttribute(Protos.i("allowzero", 1));
        return b.build();
    }

    /**
     * Softmax changed meaning at opset 13: before, it normalises over the input flattened to 2-D at axis;
     * from 13 on, over the one axis. Where the two differ, the other form is rebuilt (Flatten, Softmax,
     * Reshape) or refused.
     */
    private void softmax(Node n, Op.Softmax s, List<NodeProto> out) {
        int[] x = ctx.shape(n.input(0));
        int axis = s.axis() < 0 ? s.axis() + x.length : s.axis();
        boolean lastAxis = axis == x.length - 1;
        boolean coerceTarget = opset < 13;
        if (s.coerce2d() == coerceTarget || lastAxis) {
            out.add(Protos.node("Softmax", n.name(), n.inputs(), n.outputs())
                    .addAttribute(Protos.i("axis", axis(n, s.axis(), x.length))).build());
            return;
        }
        if (!s.coerce2d()) {
            throw new ModelException("node " + q(n.name()) + " (Softmax): a softmax over axis " + s.axis() + " of a rank-"
                    + x.length + " tensor cannot be written in opset " + opset + " (needs opset 13 or newer)");
        }
        // Old semantics in a new opset: Flatten to 2-D at axis, softmax the last axis, restore the shape.
        String flat = ctx.freshValue(n.output() + "_2d"), soft = ctx.freshValue(n.output() + "_softmax2d");
        out.add(Protos.node("Flatten", ctx.freshNode(n.name() + "_flatten"), List.of(n.input(0)), List.of(flat))
                .addAttribute(Protos.i("axis", axis)).build());
        out.add(Protos.node("Softmax", n.name(), List.of(flat), List.of(soft)).addAttribute(Protos.i("axis", 1)).build());
        String shapeName = ctx.freshValue(n.name() + "_shape");
        ctx.addInitializer(TensorCodec.fromInt64(shapeName, restoreShape(n, x)));
        out.add(Protos.node("Reshape", ctx.freshNode(n.name() + "_reshape"), List.of(soft, shapeName), n.outputs()).build());
    }

    /** The input shape as a Reshape target: static, or with -1 for a batch dim on axis 0. */
    private long[] restoreShape(Node n, int[] x1) {
        int[] x2 = ctx.shapeAtBatch2(n.input(0));
        long[] target = new long[x1.length];
        for (int i = 0; i < x1.length; i++) {
            if (x1[i] == x2[i]) {
                target[i] = x1[i];
            } else if (i == 0) {
                target[i] = -1;
            } else {
                throw new ModelException("node " + q(n.name()) + " (Softmax): cannot rewrite the opset<13 softmax for opset "
                        + opset + " because dim " + i + " of its input depends on the batch size");
            }
        }
        return target;
    }

    /** Negative axes are only allowed from opset 11 on; older opsets get the equivalent positive axis. */
    private int axis(Node n, int axis, int rank) {
        return axis < 0 && opset < 11 ? axis + rank : axis;
    }

    private <T> T since(int minOpset, Node n, String attribute, T value) {
        if (opset < minOpset) {
            throw new ModelException("node " + q(n.name()) + " (" + n.op().type() + "): " + attribute + " needs opset "
                    + minOpset + " or newer, not " + opset);
        }
        return value;
    }
}
