package io.foldrt.ir;

import java.util.List;

/**
 * The operator of a {@link Node}. Records with value equality, so two graphs built the same way are equal.
 * Tensors are NCHW float32; spatial ops are 2-D. Inputs are positional as in ONNX, and an omitted optional
 * input is the empty string.
 */
public sealed interface Op {

    /** ONNX op type name. */
    String type();

    /** Inputs X, W[M, C/group, kH, kW], optional B[M]. */
    record Conv(Hw strides, Pads pads, Hw dilations, int group, Activation activation) implements Op {
        public Conv {
            requirePositive(group, "group");
        }

        public Conv withActivation(Activation a) {
            return new Conv(strides, pads, dilations, group, a);
        }

        public String type() { return "Conv"; }
    }

    /** Inputs X, W[C, M/group, kH, kW], optional B[M]. Output channel axis of W is 1 within each group. */
    record ConvTranspose(Hw strides, Pads pads, Hw dilations, int group, Hw outputPadding) implements Op {
        public ConvTranspose {
            requirePositive(group, "group");
        }

        public String type() { return "ConvTranspose"; }
    }

    /** Inference-form batch normalisation over axis 1. Inputs X, scale, B, mean, var. */
    record BatchNorm(double epsilon) implements Op {
        public String type() { return "BatchNormalization"; }
    }

    /** Y = alpha * op(A) * op(B) + beta * C, A and B 2-D, C broadcast to the output. */
    record Gemm(float alpha, float beta, boolean transA, boolean transB, Activation activation) implements Op {
        public Gemm withActivation(Activation a) {
            return new Gemm(alpha, beta, transA, transB, a);
        }

        public String type() { return "Gemm"; }
    }

    /** numpy.matmul semantics for rank >= 2 operands, with broadcasting of leading dims. */
    record MatMul() implements Op {
        public String type() { return "MatMul"; }
    }

    /** Element-wise sum with multidirectional (numpy) broadcasting. */
    record Add() implements Op {
        public String type() { return "Add"; }
    }

    /** Element-wise product with multidirectional (numpy) broadcasting. */
    record Mul() implements Op {
        public String type() { return "Mul"; }
    }

    record Relu() implements Op {
        public String type() { return "Relu"; }
    }

    /** min/max are resolved to constants by the importer; Clip(0, 6) is ReLU6. */
    record Clip(float min, float max) implements Op {
        public String type() { return "Clip"; }
    }

    record Sigmoid() implements Op {
        public String type() { return "Sigmoid"; }
    }

    /**
     * Softmax along {@code axis}. With {@code coerce2d} (ONNX opset < 13) the input is viewed as 2-D
     * [prod(dims[0:axis]), prod(dims[axis:])] and softmax runs over the second dimension.
     */
    record Softmax(int axis, boolean coerce2d) implements Op {
        public String type() { return "Softmax"; }
    }

    record MaxPool(Hw kernel, Hw strides, Pads pads, Hw dilations, boolean ceilMode) implements Op {
        public String type() { return "MaxPool"; }
    }

    record AveragePool(Hw kernel, Hw strides, Pads pads, boolean ceilMode, boolean countIncludePad) implements Op {
        public String type() { return "AveragePool"; }
    }

    record GlobalAveragePool() implements Op {
        public String type() { return "GlobalAveragePool"; }
    }

    /** Output is 2-D [prod(dims[0:axis]), prod(dims[axis:])]; negative axis counts from the end. */
    record Flatten(int axis) implements Op {
        public String type() { return "Flatten"; }
    }

    /** ONNX Reshape with a constant target shape: 0 copies the input dim (unless allowZero), -1 is inferred. */
    record Reshape(List<Long> shape, boolean allowZero) implements Op {
        public Reshape {
            shape = List.copyOf(shape);
        }

        public String type() { return "Reshape"; }
    }

    record Identity() implements Op {
        public String type() { return "Identity"; }
    }

    record Concat(int axis) implements Op {
        public String type() { return "Concat"; }
    }

    private static void requirePositive(int v, String field) {
        if (v <= 0) throw new ModelException(field + " must be positive, got " + v);
    }
}
