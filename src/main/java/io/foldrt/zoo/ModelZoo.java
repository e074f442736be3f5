package io.foldrt.zoo;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Hw;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Built-in models for demos and benchmarks, built in code with seeded weights and non-trivial BatchNorm
 * statistics ({@link GraphBuilder}); nothing is downloaded. Every model has one input named "input" with a
 * symbolic batch dimension. Layer shapes follow torchvision where a torchvision model exists, so parameter
 * counts match torchvision's (which counts conv/linear weights and biases and BN gamma/beta, not the BN
 * running statistics).
 *
 * <pre>
 * Graph g = ModelZoo.build("resnet50");
 * </pre>
 */
public final class ModelZoo {
    private static final Map<String, Supplier<Graph>> MODELS = new LinkedHashMap<>();

    static {
        MODELS.put("resnet18", () -> ResNets.resnet18());
        MODELS.put("resnet50", () -> ResNets.resnet50());
        MODELS.put("mobilenet_v2", MobileNetV2::build);
        MODELS.put("alexnet_bn", ModelZoo::alexnetBn);
        MODELS.put("strided_cnn", ModelZoo::stridedCnn);
        MODELS.put("linear_bn_linear", ModelZoo::linearBnLinear);
    }

    private ModelZoo() {}

    /** The model names, in a fixed order. */
    public static List<String> names() {
        return List.copyOf(MODELS.keySet());
    }

    /** @throws ModelException for an unknown name, listing the known ones */
    public static Graph build(String name) {
        Supplier<Graph> s = MODELS.get(name);
        if (s == null) throw new ModelException("unknown model '" + name + "'; known models: " + String.join(", ", names()));
        return s.get();
    }

    /** torchvision AlexNet (3x224x224) with a BatchNorm after every conv (convs keep their bias). */
    static Graph alexnetBn() {
        var b = new GraphBuilder("alexnet_bn", 3);
        String x = b.input("input", Shapes.BATCH, 3, 224, 224);
        x = b.maxPool(convBnRelu(b, x, 64, 11, 4, 2), 3, 2, 0);
        x = b.maxPool(convBnRelu(b, x, 192, 5, 1, 2), 3, 2, 0);
        x = convBnRelu(b, x, 384, 3, 1, 1);
        x = convBnRelu(b, x, 256, 3, 1, 1);
        x = b.maxPool(convBnRelu(b, x, 256, 3, 1, 1), 3, 2, 0);
        // At 224x224 the features are already 6x6, so torchvision's AdaptiveAvgPool2d((6, 6)) is the identity.
        x = b.flatten(x);
        x = b.relu(b.linear(x, 4096, true));
        x = b.relu(b.linear(x, 4096, true));
        b.output(b.linear(x, 1000, true));
        return b.build();
    }

    private static String convBnRelu(GraphBuilder b, String x, int outC, int k, int stride, int pad) {
        return b.relu(b.batchNorm(b.conv(x, outC, k, stride, pad)));
    }

    /**
     * Stride-2 Conv(3x3, with bias)+BN+ReLU blocks on 32x110x110 (110 → 55 → 28 → 14 → 7), then a 7x7
     * AveragePool, Linear and Sigmoid.
     */
    static Graph stridedCnn() {
        var b = new GraphBuilder("strided_cnn", 5);
        String x = b.input("input", Shapes.BATCH, 32, 110, 110);
        for (int c : new int[] {48, 64, 96, 128}) x = convBnRelu(b, x, c, 3, 2, 1);
        x = b.flatten(b.averagePool(x, 7, 7, 0));
        b.output(b.sigmoid(b.linear(x, 10, true)));
        return b.build();
    }

    /** Linear(256→512, no bias) → BatchNorm1d(512, affine=False) → Linear(512→10). */
    static Graph linearBnLinear() {
        var b = new GraphBuilder("linear_bn_linear", 6);
        String x = b.input("input", Shapes.BATCH, 256);
        x = b.batchNorm(b.linear(x, 512, false), false, 1e-5);
        b.output(b.linear(x, 10, true));
        return b.build();
    }

    /** torchvision-style conv without bias (the BN after it supplies the shift). */
    static String conv(GraphBuilder b, String x, int outC, int k, int stride, int pad, int group) {
        return b.conv(x, outC, k, k, Hw.of(stride), Pads.of(pad), Hw.ONE, group, false);
    }
}
