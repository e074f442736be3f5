package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Converts between ONNX TensorProto and FoldRT tensors. Float32 tensors become {@link Tensor}; int64 tensors
 * (shapes, axes) become {@code long[]}. Everything else is refused with a message naming the tensor.
 * raw_data is read through a little-endian buffer view straight into the result array, so a weight is
 * copied exactly once.
 */
final class TensorCodec {
    /** Largest element count a Java array can hold on common JVMs. */
    private static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private TensorCodec() {}

    /** True when the tensor's data type is FLOAT. */
    static boolean isFloat(TensorProto t) {
        return t.getDataType() == DataType.FLOAT_VALUE;
    }

    static boolean isInt64(TensorProto t) {
        return t.getDataType() == DataType.INT64_VALUE;
    }

    /** Human name of an ONNX data type number, for messages. */
    static String typeName(int dataType) {
        DataType d = DataType.forNumber(dataType);
        return d == null ? "unknown data type " + dataType : d.name();
    }

    /** Refuses tensor kinds that carry no inline data, before any data is looked at. */
    static void checkInline(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL || t.getExternalDataCount() > 0) {
            String loc = "";
            for (var e : t.getExternalDataList()) if (e.getKey().equals("location")) loc = " (" + q(e.getValue()) + ")";
            throw new ModelException(what + " keeps its data in an external file" + loc
                    + "; FoldRT reads self-contained models only: save the model without external data");
        }
        if (t.hasSegment()) throw new ModelException(what + " is a segment of a larger tensor; segments are not supported");
    }

    static int[] shape(TensorProto t, String what) {
        int[] s = new int[t.getDimsCount()];
        long n = 1;
        for (int i = 0; i < s.length; i++) {
            long d = t.getDims(i);
            if (d < 0) throw new ModelException(what + " has negative dimension " + d + " in dims " + t.getDimsList());
            if (d > MAX_ELEMENTS) throw new ModelException(what + " dims " + t.getDimsList() + " are too large");
            s[i] = (int) d;
            n *= d;
            if (n > MAX_ELEMENTS) throw new ModelException(what + " dims " + t.getDimsList() + " are too large");
        }
        return s;
    }

    /** A FLOAT tensor as a {@link Tensor}; {@code what} names it in errors (e.g. "initializer 'w'"). */
    static Tensor toFloat(TensorProto t, String what) {
        checkInline(t, what);
        if (!isFloat(t)) {
            throw new ModelException(what + " has data type " + typeName(t.getDataType()) + "; expected FLOAT");
        }
        int[] shape = shape(t, what);
        int n = count(shape);
        float[] data = new float[n];
        if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            expectBytes(raw, n, Float.BYTES, what);
            raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        } else {
            expectCount(t.getFloatDataCount(), n, "float_data", what);
            for (int i = 0; i < n; i++) data[i] = t.getFloatData(i);
        }
        return new Tensor(shape, data);
    }

    /** An INT64 tensor's values in row-major order. */
    static long[] toInt64(TensorProto t, String what) {
        checkInline(t, what);
        if (!isInt64(t)) {
            throw new ModelException(what + " has data type " + typeName(t.getDataType()) + "; expected INT64");
        }
        int n = count(shape(t, what));
        long[] data = new long[n];
        if (t.hasRawData()) {
            ByteString raw = t.getRawData();
            expectBytes(raw, n, Long.BYTES, what);
            raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(data);
        } else {
            expectCount(t.getInt64DataCount(), n, "int64_data", what);
            for (int i = 0; i < n; i++) data[i] = t.getInt64Data(i);
        }
        return data;
    }

    /** A FLOAT TensorProto with little-endian raw_data; the bytes are written once and wrapped, not copied. */
    static TensorProto fromFloat(String name, Tensor t) {
        float[] d = t.data();
        byte[] bytes = new byte[Math.multiplyExact(d.length, Float.BYTES)];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(d);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE)
                .setRawData(UnsafeByteOperations.unsafeWrap(bytes));
        for (int dim : t.shape()) b.addDims(dim);
        return b.build();
    }

    /** A 1-D INT64 TensorProto (for Reshape's shape input). */
    static TensorProto fromInt64(String name, long[] values) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(DataType.INT64_VALUE)
                .addDims(values.length);
        for (long v : values) b.addInt64Data(v);
        return b.build();
    }

    private static int count(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return (int) n; // bounded by shape()
    }

    private static void expectBytes(ByteString raw, int n, int width, String what) {
        if (raw.size() != (long) n * width) {
            throw new ModelException(what + " has " + raw.size() + " bytes of raw_data; its dims need "
                    + (long) n * width + " (" + n + " values of " + width + " bytes)");
        }
    }

    private static void expectCount(int have, int n, String field, String what) {
        if (have != n) throw new ModelException(what + " has " + have + " values in " + field + "; its dims need " + n);
    }
}
