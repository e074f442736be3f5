package io.foldrt.zoo;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Shapes;

/**
 * torchvision MobileNetV2, width 1.0, 3x224x224: inverted residual blocks (1x1 expand + BN + ReLU6,
 * depthwise 3x3 + BN + ReLU6, 1x1 project + BN, residual add when shapes allow), convs without bias,
 * a 1x1 conv to 1280, global average pool and Linear(1280→1000) (dropout is a no-op at inference).
 */
final class MobileNetV2 {
    /** t (expansion), c (output channels), n (repeats), s (first stride), as in the paper and torchvision. */
    private static final int[][] SETTINGS = {
        {1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
    };

    private MobileNetV2() {}

    static Graph build() {
        var b = new GraphBuilder("mobilenet_v2", 2);
        String x = b.input("input", Shapes.BATCH, 3, 224, 224);
        x = b.relu6(b.batchNorm(ModelZoo.conv(b, x, 32, 3, 2, 1, 1)));
        for (int[] s : SETTINGS) {
            for (int i = 0; i < s[2]; i++) x = invertedResidual(b, x, s[1], i == 0 ? s[3] : 1, s[0]);
        }
        x = b.relu6(b.batchNorm(ModelZoo.conv(b, x, 1280, 1, 1, 0, 1)));
        x = b.flatten(b.globalAveragePool(x));
        b.output(b.linear(x, 1000, true));
        return b.build();
    }

    private static String invertedResidual(GraphBuilder b, String x, int out, int stride, int expand) {
        int in = b.shape(x)[1];
        int hidden = in * expand;
        String y = x;
        if (expand != 1) y = b.relu6(b.batchNorm(ModelZoo.conv(b, y, hidden, 1, 1, 0, 1)));
        y = b.relu6(b.batchNorm(ModelZoo.conv(b, y, hidden, 3, stride, 1, hidden)));
        y = b.batchNorm(ModelZoo.conv(b, y, out, 1, 1, 0, 1));
        return stride == 1 && in == out ? b.add(x, y) : y;
    }
}
