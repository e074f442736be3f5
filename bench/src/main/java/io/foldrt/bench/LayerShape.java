package io.foldrt.bench;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Pads;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.zoo.ModelZoo;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Convolution shapes taken from the zoo's resnet50 and mobilenet_v2 (224x224 input), named for the JMH
 * {@code shape} parameter. {@link #checkInZoo} confirms that the model really has a Conv of that shape, so the names
 * cannot drift from the models.
 *
 * @param model the zoo model the layer comes from
 * @param group 1 for a dense convolution, {@code in} for a depthwise one
 */
record LayerShape(String name, String model, int in, int hw, int out, int k, int stride, int group) {
    static final Map<String, LayerShape> ALL = new LinkedHashMap<>();

    static {
        for (LayerShape s : List.of(
                new LayerShape("r50_stem_7x7", "resnet50", 3, 224, 64, 7, 2, 1),
                new LayerShape("r50_l1_1x1_reduce", "resnet50", 256, 56, 64, 1, 1, 1),
                new LayerShape("r50_l1_3x3", "resnet50", 64, 56, 64, 3, 1, 1),
                new LayerShape("r50_l1_1x1_expand", "resnet50", 64, 56, 256, 1, 1, 1),
                new LayerShape("r50_l2_3x3", "resnet50", 128, 28, 128, 3, 1, 1),
                new LayerShape("r50_l3_3x3", "resnet50", 256, 14, 256, 3, 1, 1),
                new LayerShape("r50_l3_1x1_expand", "resnet50", 256, 14, 1024, 1, 1, 1),
                new LayerShape("r50_l4_3x3", "resnet50", 512, 7, 512, 3, 1, 1),
                new LayerShape("mb2_stem_3x3", "mobilenet_v2", 3, 224, 32, 3, 2, 1),
                new LayerShape("mb2_dw_112", "mobilenet_v2", 32, 112, 32, 3, 1, 32),
                new LayerShape("mb2_expand_56", "mobilenet_v2", 24, 56, 144, 1, 1, 1),
                new LayerShape("mb2_dw_56", "mobilenet_v2", 144, 56, 144, 3, 1, 144),
                new LayerShape("mb2_project_14", "mobilenet_v2", 384, 14, 64, 1, 1, 1),
                new LayerShape("mb2_dw_7", "mobilenet_v2", 960, 7, 960, 3, 1, 960),
                new LayerShape("mb2_head_1x1", "mobilenet_v2", 320, 7, 1280, 1, 1, 1))) {
            ALL.put(s.name(), s);
        }
    }

    static LayerShape named(String name) {
        LayerShape s = ALL.get(name);
        if (s == null) throw new IllegalArgumentException("unknown layer shape '" + name + "' (known: " + ALL.keySet() + ")");
        return s;
    }

    int pad() {
        return k / 2;
    }

    /** Input [batch, in, hw, hw]. */
    int[] inputShape(int batch) {
        return new int[] {batch, in, hw, hw};
    }

    /** Output [batch, out, hw', hw']. */
    int[] outputShape(int batch) {
        int o = (hw + 2 * pad() - k) / stride + 1;
        return new int[] {batch, out, o, o};
    }

    /** x -> Conv (no bias) [-> BatchNorm [-> Relu]]: the layer as a network has it before planning. */
    Graph graph(boolean batchNorm, boolean relu) {
        GraphBuilder b = new GraphBuilder(name, 17);
        String x = b.input("x", Shapes.BATCH, in, hw, hw);
        x = b.conv(x, out, k, k, Hw.of(stride), Pads.of(pad()), Hw.ONE, group, false);
        if (batchNorm) x = b.batchNorm(x);
        if (relu) x = b.relu(x);
        b.output(x);
        return b.build();
    }

    /** x -> BatchNorm on this layer's output shape (the BN pass alone), or x -> Identity (nothing). */
    Graph batchNormOnly(boolean batchNorm) {
        GraphBuilder b = new GraphBuilder(name + "_bn", 19);
        int[] o = outputShape(1);
        String x = b.input("x", Shapes.BATCH, o[1], o[2], o[3]);
        b.output(batchNorm ? b.batchNorm(x) : b.identity(x));
        return b.build();
    }

    /** @throws IllegalStateException when the zoo model has no Conv of exactly this shape */
    void checkInZoo() {
        Graph g = ModelZoo.build(model);
        Map<String, int[]> shapes = ShapeInference.infer(g, 1);
        for (Node n : g.nodes()) {
            if (!(n.op() instanceof Op.Conv c)) continue;
            int[] w = g.initializers().get(n.input(1)).shape();
            if (Arrays.equals(shapes.get(n.input(0)), inputShape(1)) && w[0] == out && w[2] == k && w[3] == k
                    && c.group() == group && c.strides().h() == stride && c.pads().top() == pad()) {
                return;
            }
        }
        throw new IllegalStateException(model + " has no Conv of shape " + this);
    }
}
