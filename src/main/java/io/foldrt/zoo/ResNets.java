package io.foldrt.zoo;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Shapes;

/**
 * torchvision ResNet-18 and ResNet-50 (v1.5: the stride of a bottleneck sits on its 3x3 conv). Convs have no
 * bias; a downsample is a strided 1x1 conv + BN; the head is global average pool, flatten, Linear(→1000).
 */
final class ResNets {
    private ResNets() {}

    static Graph resnet18() {
        return build("resnet18", false, new int[] {2, 2, 2, 2}, 18);
    }

    static Graph resnet50() {
        return build("resnet50", true, new int[] {3, 4, 6, 3}, 50);
    }

    private static Graph build(String name, boolean bottleneck, int[] blocks, long seed) {
        var b = new GraphBuilder(name, seed);
        String x = b.input("input", Shapes.BATCH, 3, 224, 224);
        x = b.relu(b.batchNorm(ModelZoo.conv(b, x, 64, 7, 2, 3, 1)));
        x = b.maxPool(x, 3, 2, 1);
        int[] planes = {64, 128, 256, 512};
        for (int stage = 0; stage < 4; stage++) {
            for (int i = 0; i < blocks[stage]; i++) {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                x = bottleneck ? bottleneck(b, x, planes[stage], stride) : basic(b, x, planes[stage], stride);
            }
        }
        x = b.flatten(b.globalAveragePool(x));
        b.output(b.linear(x, 1000, true));
        return b.build();
    }

    private static String basic(GraphBuilder b, String x, int planes, int stride) {
        String y = b.relu(b.batchNorm(ModelZoo.conv(b, x, planes, 3, stride, 1, 1)));
        y = b.batchNorm(ModelZoo.conv(b, y, planes, 3, 1, 1, 1));
        return b.relu(b.add(y, shortcut(b, x, planes, stride)));
    }

    private static String bottleneck(GraphBuilder b, String x, int planes, int stride) {
        String y = b.relu(b.batchNorm(ModelZoo.conv(b, x, planes, 1, 1, 0, 1)));
        y = b.relu(b.batchNorm(ModelZoo.conv(b, y, planes, 3, stride, 1, 1)));
        y = b.batchNorm(ModelZoo.conv(b, y, planes * 4, 1, 1, 0, 1));
        return b.relu(b.add(y, shortcut(b, x, planes * 4, stride)));
    }

    /** Identity, or a strided 1x1 conv + BN when the shape changes. */
    private static String shortcut(GraphBuilder b, String x, int outC, int stride) {
        if (stride == 1 && b.shape(x)[1] == outC) return x;
        return b.batchNorm(ModelZoo.conv(b, x, outC, 1, stride, 0, 1));
    }
}
