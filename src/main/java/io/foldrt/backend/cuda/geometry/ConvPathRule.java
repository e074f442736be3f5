package io.foldrt.backend.cuda.geometry;

import io.foldrt.ir.Activation;
import io.foldrt.nativebind.CudnnException;
import io.foldrt.nativebind.CudnnStatus;

/**
 * How a Conv with bias and/or fused activation runs on cuDNN. Option conv-path chooses between
 * <ul>
 *   <li>{@code add}: cudnnConvolutionForward, then cudnnAddTensor for the bias, then the activation
 *       (cudnnActivationForward for ReLU/ReLU6, the clip kernel for other clips);</li>
 *   <li>{@code fused}: one cudnnConvolutionBiasActivationForward. cuDNN fuses only RELU here, and IDENTITY
 *       (no activation) only with IMPLICIT_PRECOMP_GEMM; anything else, or a call cuDNN refuses at plan
 *       time, falls back to {@code add}.</li>
 * </ul>
 * A Conv with neither bias nor activation is always a plain cudnnConvolutionForward.
 */
public final class ConvPathRule {
    private ConvPathRule() {}

    /** The option value. */
    public enum ConvPath { ADD, FUSED }

    /** What a Conv step does. */
    public enum Mode { PLAIN, ADD, FUSED_RELU, FUSED_IDENTITY }

    /** @param reason why the fused path was not taken (null when it was, or was not asked for) */
    public record Decision(Mode mode, String reason) {}

    /** @param algo the forward algorithm the search chose for this shape */
    public static Decision decide(ConvPath requested, boolean hasBias, Activation act, int algo) {
        boolean hasAct = act.kind() != Activation.Kind.NONE;
        if (!hasBias && !hasAct) return new Decision(Mode.PLAIN, null);
        if (requested == ConvPath.ADD) return new Decision(Mode.ADD, null);
        if (!hasBias) return new Decision(Mode.ADD, "the fused call needs a bias");
        return switch (act.kind()) {
            case RELU -> new Decision(Mode.FUSED_RELU, null);
            case NONE -> algo == io.foldrt.nativebind.Cudnn.CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM
                    ? new Decision(Mode.FUSED_IDENTITY, null)
                    : new Decision(Mode.ADD, "IDENTITY activation needs IMPLICIT_PRECOMP_GEMM, the search chose algo " + algo);
            case CLIP -> new Decision(Mode.ADD, "cuDNN fuses only RELU, not " + act);
        };
    }

    /**
     * Whether a failed fused call should fall back to the add path: cuDNN refusing the combination
     * (BAD_PARAM or NOT_SUPPORTED family, in either numbering) is expected; other failures are real errors.
     */
    public static boolean fallsBack(CudnnException e) {
        return e.category() == CudnnStatus.Category.BAD_PARAM || e.category() == CudnnStatus.Category.NOT_SUPPORTED;
    }
}
