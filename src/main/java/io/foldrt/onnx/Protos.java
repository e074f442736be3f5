package io.foldrt.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.foldrt.ir.Hw;
import io.foldrt.ir.Pads;
import io.foldrt.ir.Shapes;
import java.util.List;

/** Small builders for the ONNX protobuf messages the exporter writes. */
final class Protos {
    /** dim_param written for {@link Shapes#BATCH}. */
    static final String BATCH_PARAM = "N";

    private Protos() {}

    static NodeProto.Builder node(String opType, String name, List<String> inputs, List<String> outputs) {
        return NodeProto.newBuilder().setOpType(opType).setName(name).addAllInput(inputs).addAllOutput(outputs);
    }

    static AttributeProto i(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(v).build();
    }

    static AttributeProto f(String name, float v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(v).build();
    }

    static AttributeProto s(String name, String v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING).setS(ByteString.copyFromUtf8(v)).build();
    }

    static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long x : v) b.addInts(x);
        return b.build();
    }

    static AttributeProto hw(String name, Hw v) {
        return ints(name, v.h(), v.w());
    }

    /** ONNX pads order: [top, left, bottom, right] = [x1_begin, x2_begin, x1_end, x2_end]. */
    static AttributeProto pads(Pads p) {
        return ints("pads", p.top(), p.left(), p.bottom(), p.right());
    }

    /** A float32 tensor value; {@link Shapes#BATCH} becomes dim_param "N" and 0 an unknown dim. */
    static ValueInfoProto valueInfo(String name, int[] shape) {
        TensorShapeProto.Builder s = TensorShapeProto.newBuilder();
        for (int d : shape) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d == Shapes.BATCH) dim.setDimParam(BATCH_PARAM);
            else if (d > 0) dim.setDimValue(d);
            s.addDim(dim);
        }
        TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(s);
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(t)).build();
    }
}
