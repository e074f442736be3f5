package io.foldrt.backend.cuda.dnn;

import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.nativebind.Cudnn;
import java.lang.foreign.MemorySegment;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * An owned cuDNN descriptor of one kind: created, configured and destroyed as a pair. If configuring fails
 * the descriptor is destroyed before the exception leaves, so no path leaks one.
 */
public final class CudnnDescriptor implements AutoCloseable {
    /** Descriptor kinds with their create and destroy calls. */
    public enum Kind {
        TENSOR("cudnn-tensor-descriptor"), FILTER("cudnn-filter-descriptor"),
        CONVOLUTION("cudnn-convolution-descriptor"), ACTIVATION("cudnn-activation-descriptor");

        final String resource;

        Kind(String resource) {
            this.resource = resource;
        }

        public String resource() {
            return resource;
        }
    }

    private final Cudnn cudnn;
    private final Kind kind;
    private final MemorySegment desc;
    private boolean closed;

    private CudnnDescriptor(Cudnn cudnn, Kind kind, MemorySegment desc) {
        this.cudnn = cudnn;
        this.kind = kind;
        this.desc = desc;
        LiveResources.opened(kind.resource);
    }

    /** Creates a descriptor of {@code kind} and runs {@code configure} on it; destroys it if that throws. */
    public static CudnnDescriptor create(Cudnn cudnn, Kind kind, Consumer<MemorySegment> configure) {
        MemorySegment d = switch (kind) {
            case TENSOR -> cudnn.createTensorDescriptor();
            case FILTER -> cudnn.createFilterDescriptor();
            case CONVOLUTION -> cudnn.createConvolutionDescriptor();
            case ACTIVATION -> cudnn.createActivationDescriptor();
        };
        CudnnDescriptor owned = new CudnnDescriptor(cudnn, kind, d);
        try {
            configure.accept(d);
        } catch (RuntimeException e) {
            try {
                owned.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return owned;
    }

    /** A float32 NCHW tensor descriptor. */
    public static CudnnDescriptor tensor(Cudnn cudnn, int[] nchw) {
        return create(cudnn, Kind.TENSOR, d -> cudnn.setTensor4dDescriptor(d, Cudnn.CUDNN_TENSOR_NCHW,
                Cudnn.CUDNN_DATA_FLOAT, nchw[0], nchw[1], nchw[2], nchw[3]));
    }

    /** A float32 filter descriptor [k, c, h, w]. */
    public static CudnnDescriptor filter(Cudnn cudnn, int[] kchw) {
        return create(cudnn, Kind.FILTER, d -> cudnn.setFilter4dDescriptor(d, Cudnn.CUDNN_DATA_FLOAT,
                Cudnn.CUDNN_TENSOR_NCHW, kchw[0], kchw[1], kchw[2], kchw[3]));
    }

    /** A cross-correlation (deep-learning "convolution") descriptor with float32 compute. */
    public static CudnnDescriptor convolution(Cudnn cudnn, int padH, int padW, int strideH, int strideW,
                                              int dilationH, int dilationW, int groups, int mathType) {
        return create(cudnn, Kind.CONVOLUTION, d -> {
            cudnn.setConvolution2dDescriptor(d, padH, padW, strideH, strideW, dilationH, dilationW,
                    Cudnn.CUDNN_CROSS_CORRELATION, Cudnn.CUDNN_DATA_FLOAT);
            if (groups != 1) cudnn.setConvolutionGroupCount(d, groups);
            cudnn.setConvolutionMathType(d, mathType);
        });
    }

    /** An activation descriptor for cudnnActivationForward; NaN propagates, as in the reference interpreter. */
    public static CudnnDescriptor activation(Cudnn cudnn, int mode, double coef) {
        return create(cudnn, Kind.ACTIVATION, d -> cudnn.setActivationDescriptor(d, mode, Cudnn.CUDNN_PROPAGATE_NAN, coef));
    }

    /**
     * The activation descriptor of cudnnConvolutionBiasActivationForward (RELU or IDENTITY). That call
     * returns CUDNN_STATUS_NOT_SUPPORTED unless reluNanOpt is CUDNN_NOT_PROPAGATE_NAN, so a fused ReLU maps
     * NaN to 0 where the add path's cudnnActivationForward keeps it.
     */
    public static CudnnDescriptor fusedActivation(Cudnn cudnn, int mode) {
        return create(cudnn, Kind.ACTIVATION, d -> cudnn.setActivationDescriptor(d, mode, Cudnn.CUDNN_NOT_PROPAGATE_NAN, 0));
    }

    /** A tensor descriptor whose dims cuDNN derives from another (batch-norm parameters). */
    public static CudnnDescriptor derived(Cudnn cudnn, BiConsumer<Cudnn, MemorySegment> derive) {
        return create(cudnn, Kind.TENSOR, d -> derive.accept(cudnn, d));
    }

    public MemorySegment segment() {
        return desc;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed(kind.resource);
        switch (kind) {
            case TENSOR -> cudnn.destroyTensorDescriptor(desc);
            case FILTER -> cudnn.destroyFilterDescriptor(desc);
            case CONVOLUTION -> cudnn.destroyConvolutionDescriptor(desc);
            case ACTIVATION -> cudnn.destroyActivationDescriptor(desc);
        }
    }
}
