package io.foldrt.onnx;

import static io.foldrt.onnx.OnnxModels.ai;
import static io.foldrt.onnx.OnnxModels.ais;

import org.junit.jupiter.api.Test;

/** Models built with protobuf builders: our import and export agree with ONNX Runtime (see {@link OrtCheck}). */
class OnnxOrtAgreementTest {

    @Test
    void convBnReluStack() {
        for (int opset : new int[] {9, 13, 21}) {
            var m = new OnnxModels("stack", opset, 1);
            String x = m.input("x", "N", 3, 12, 12);
            x = m.relu(m.bn(m.conv(x, 3, 8, 3, ais("pads", 1, 1, 1, 1)), 8));
            x = m.relu(m.bn(m.conv(x, 8, 16, 3, ais("strides", 2, 2), ais("pads", 1, 1, 1, 1)), 16));
            x = m.relu(m.bn(m.conv(x, 16, 16, 1, 1, false), 16, OnnxModels.af("epsilon", 1e-3f)));
            m.output(x);
            OrtCheck.check("stack-opset" + opset, m.bytes(), 1, 3);
        }
    }
}
