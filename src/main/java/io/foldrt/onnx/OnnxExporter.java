package io.foldrt.onnx;

import ai.onnx.proto.OnnxMl.ModelProto;
import io.foldrt.io.AtomicFiles;
import io.foldrt.ir.Graph;
import java.io.BufferedOutputStream;
import java.nio.file.Path;

/**
 * Writes an IR graph as an ONNX model of a chosen default-domain opset (9 to 21), with the IR version of
 * the ONNX release that introduced that opset. Inputs and outputs keep their names (a symbolic batch dim is
 * written as dim_param "N"); weights are float32 raw_data initializers. A fused activation on Conv or Gemm
 * becomes a following Relu or Clip node, and a BatchNormalization the planner kept stays one.
 *
 * <p>Throws {@link io.foldrt.ir.ModelException} when the graph uses something the target opset cannot
 * express (e.g. ceil_mode in opset 9).
 */
public final class OnnxExporter {
    private OnnxExporter() {}

    /** The serialized model. */
    public static byte[] toBytes(Graph g, int opset) {
        return model(g, opset).toByteArray();
    }

    /**
     * Writes the model to {@code out} atomically (temporary file, then rename); refuses to write over any of
     * {@code inputsNotToOverwrite}.
     */
    public static void write(Graph g, Path out, int opset, Path... inputsNotToOverwrite) {
        ModelProto m = model(g, opset);
        AtomicFiles.write(out, os -> {
            BufferedOutputStream b = new BufferedOutputStream(os, 1 << 16);
            m.writeTo(b);
            b.flush();
        }, inputsNotToOverwrite);
    }

    static ModelProto model(Graph g, int opset) {
        return new GraphExporter(g, opset).build();
    }
}
