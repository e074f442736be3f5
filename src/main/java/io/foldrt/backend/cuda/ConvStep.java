package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.dnn.CudnnDescriptor;
import io.foldrt.backend.cuda.dnn.CudnnHandle;
import io.foldrt.backend.cuda.geometry.ConvPathRule;
import io.foldrt.backend.cuda.geometry.ConvPathRule.Mode;
import io.foldrt.nativebind.Cudnn;
import io.foldrt.nativebind.CudnnException;
import java.lang.foreign.MemorySegment;

/**
 * A forward convolution with its bias and activation, by {@link Mode}: PLAIN is cudnnConvolutionForward;
 * ADD adds cudnnAddTensor for the bias and, when there is an add-path activation descriptor,
 * cudnnActivationForward in place; FUSED_* is one cudnnConvolutionBiasActivationForward with z = y and
 * alpha2 = 0. A fused step is tried once at plan time ({@link #tryFused}) and switches to ADD for good if
 * cuDNN refuses it.
 */
final class ConvStep implements Step {
    /**
     * The step's descriptors, owned by the executable. bias is null without a bias; fusedActivation is set
     * for the fused modes; addActivation is the add path's activation (null for none, or when a clip kernel
     * runs after this step).
     */
    record Descriptors(CudnnDescriptor x, CudnnDescriptor w, CudnnDescriptor conv, CudnnDescriptor y,
                       CudnnDescriptor bias, CudnnDescriptor fusedActivation, CudnnDescriptor addActivation) {}

    private final String node;
    private final CudnnHandle handle;
    private final Descriptors d;
    private final int algo;
    private final Workspace ws;
    private final MemorySegment x, w, b, y;
    private Mode mode;
    private String fallbackReason;

    /** @param notFusedBecause why the rule chose ADD although conv-path=fused asked otherwise (or null) */
    ConvStep(String node, Mode mode, String notFusedBecause, CudnnHandle handle, Descriptors d, int algo, Workspace ws,
             long x, long w, long b, long y) {
        boolean fused = mode == Mode.FUSED_RELU || mode == Mode.FUSED_IDENTITY;
        if (fused && (d.bias() == null || d.fusedActivation() == null)) {
            throw new IllegalArgumentException("fused convolution needs bias and activation descriptors");
        }
        this.node = node;
        this.mode = mode;
        this.handle = handle;
        this.d = d;
        this.algo = algo;
        this.ws = ws;
        this.x = MemorySegment.ofAddress(x);
        this.w = MemorySegment.ofAddress(w);
        this.b = MemorySegment.ofAddress(b);
        this.y = MemorySegment.ofAddress(y);
        this.fallbackReason = notFusedBecause;
    }

    Mode mode() {
        return mode;
    }

    String fallbackReason() {
        return fallbackReason;
    }

    /**
     * Runs a fused step once (workspace and weights in place). If cuDNN refuses the combination the step
     * becomes ADD and the reason is kept for the plan report; other errors propagate.
     */
    void tryFused() {
        if (mode != Mode.FUSED_RELU && mode != Mode.FUSED_IDENTITY) return;
        try {
            enqueue();
        } catch (CudnnException e) {
            if (!ConvPathRule.fallsBack(e)) throw e;
            mode = Mode.ADD;
            fallbackReason = "cuDNN refused the fused call: " + e.getMessage();
        }
    }

    @Override
    public String node() {
        return node;
    }

    @Override
    public void enqueue() {
        Cudnn c = handle.cudnn();
        MemorySegment h = handle.segment();
        if (mode == Mode.FUSED_RELU || mode == Mode.FUSED_IDENTITY) {
            // z = y with alpha2 = 0: cuDNN's blending convention is that a zero factor means "not read", so the
            // stale contents of y do not matter (the usual way to call it without a residual input).
            c.convolutionBiasActivationForward(h, Scalars.ONE, d.x().segment(), x, d.w().segment(), w,
                    d.conv().segment(), algo, ws.segment(), ws.bytes(), Scalars.ZERO, d.y().segment(), y,
                    d.bias().segment(), b, d.fusedActivation().segment(), d.y().segment(), y);
            return;
        }
        c.convolutionForward(h, Scalars.ONE, d.x().segment(), x, d.w().segment(), w, d.conv().segment(), algo,
                ws.segment(), ws.bytes(), Scalars.ZERO, d.y().segment(), y);
        if (mode == Mode.ADD) {
            if (d.bias() != null) c.addTensor(h, Scalars.ONE, d.bias().segment(), b, Scalars.ONE, d.y().segment(), y);
            if (d.addActivation() != null) {
                c.activationForward(h, d.addActivation().segment(), Scalars.ONE, d.y().segment(), y, Scalars.ZERO,
                        d.y().segment(), y);
            }
        }
    }

    @Override
    public String describe() {
        String s = switch (mode) {
            case PLAIN -> "cudnnConvolutionForward algo " + algo;
            case ADD -> "cudnnConvolutionForward algo " + algo + (d.bias() != null ? " + cudnnAddTensor" : "")
                    + (d.addActivation() != null ? " + cudnnActivationForward" : "");
            case FUSED_RELU -> "cudnnConvolutionBiasActivationForward RELU algo " + algo;
            case FUSED_IDENTITY -> "cudnnConvolutionBiasActivationForward IDENTITY algo " + algo;
        };
        return fallbackReason == null ? s : s + " [fallback: " + fallbackReason + "]";
    }
}
