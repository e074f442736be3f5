package io.foldrt.onnx;

import static io.foldrt.onnx.Names.q;

import io.foldrt.ir.ModelException;
import io.foldrt.ir.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * One ONNX node as an op converter sees it: its attributes, its inputs (aliases already resolved, "" when
 * omitted), their shapes at batch 1 and, for constants, their values.
 */
final class NodeView {
    /** Answers what the importer knows about a value. */
    interface Values {
        int[] shape(String value);

        Tensor floatConstant(String value);

        long[] int64Constant(String value);
    }

    final String where;
    final int opset;
    final Attrs attrs;
    private final List<String> inputs;
    private final Values values;

    NodeView(String where, int opset, Attrs attrs, List<String> inputs, Values values) {
        this.where = where;
        this.opset = opset;
        this.attrs = attrs;
        this.inputs = inputs;
        this.values = values;
    }

    int inputCount() {
        return inputs.size();
    }

    /** Input i, or "" when omitted. */
    String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    /** Shape of input i at batch 1, or null when omitted. */
    int[] shape(int i) {
        String in = input(i);
        return in.isEmpty() ? null : values.shape(in);
    }

    /** Shape of a required input of the given rank. */
    int[] shape(int i, int rank, String role) {
        int[] s = shape(i);
        if (s == null) throw fail("input " + i + " (" + role + ") is missing");
        if (s.length != rank) {
            throw fail("input " + i + " (" + role + ") is " + Arrays.toString(s) + "; FoldRT supports "
                    + rank + "-D " + role + " only (2-D convolution and pooling on NCHW tensors)");
        }
        return s;
    }

    /** The float32 constant at input i, or null when omitted; refuses a value computed at run time. */
    Tensor floatConstant(int i, String role) {
        String in = input(i);
        if (in.isEmpty()) return null;
        Tensor t = values.floatConstant(in);
        if (t == null) throw fail("input " + i + " (" + role + ") " + q(in) + " must be a constant (initializer or Constant node)");
        return t;
    }

    /** The int64 constant at input i; refuses an omitted input or one computed at run time. */
    long[] int64Constant(int i, String role) {
        String in = input(i);
        long[] v = in.isEmpty() ? null : values.int64Constant(in);
        if (v == null) {
            throw fail("input " + i + " (" + role + ") " + (in.isEmpty() ? "is missing" : q(in) + " is not")
                    + " a constant INT64 tensor (initializer or Constant node)");
        }
        return v;
    }

    ModelException fail(String what) {
        return new ModelException(where + ": " + what);
    }
}
