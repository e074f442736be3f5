package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.dnn.ConvAlgorithms;
import io.foldrt.backend.cuda.geometry.ConvPathRule.ConvPath;
import io.foldrt.ir.ModelException;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Options of the CUDA backend, as given to {@link CudaBackendProvider#open}:
 * <ul>
 *   <li>{@code conv-path=fused|add} (default fused): how a Conv with bias and/or activation runs - one
 *       cudnnConvolutionBiasActivationForward (falling back to add where cuDNN cannot) or convolution, then
 *       cudnnAddTensor, then the activation. Whether BatchNorm is folded at all is the planner's choice (it
 *       hands over a folded graph or not). {@code graph} (the cuDNN graph API) is not implemented.</li>
 *   <li>{@code cuda-graph=true|false} (default false): capture the forward pass into a CUDA graph.</li>
 *   <li>{@code conv-algo=find|heuristic} (default find): cudnnFind* trial runs or cuDNN's heuristics.</li>
 *   <li>{@code tf32=true|false} (default false): allow TF32 tensor cores for float32 conv and GEMM.</li>
 *   <li>{@code allow-cpu-fallback=true|false} (default false): every IR op has a GPU path, but a few
 *       configurations do not (broadcasts needing more than 6 dims, ConvTranspose output_padding not below
 *       the stride). Without this option such a node is a ModelException naming node and op; with it, the
 *       node runs on the host (reference interpreter), which synchronises and rules out CUDA graphs.</li>
 * </ul>
 */
public record CudaOptions(ConvPath convPath, boolean cudaGraph, ConvAlgorithms.Search algoSearch, boolean tf32,
                          boolean allowCpuFallback) {

    public static final CudaOptions DEFAULTS = new CudaOptions(ConvPath.FUSED, false, ConvAlgorithms.Search.FIND, false, false);

    private static final Set<String> KEYS = Set.of("conv-path", "cuda-graph", "conv-algo", "tf32", "allow-cpu-fallback");

    /** @throws ModelException naming an unknown option or a bad value */
    public static CudaOptions parse(Map<String, String> options) {
        for (String k : options.keySet()) {
            if (!KEYS.contains(k)) {
                throw new ModelException("unknown cuda backend option '" + k + "' (known: " + String.join(", ",
                        KEYS.stream().sorted().toList()) + ")");
            }
        }
        String path = options.getOrDefault("conv-path", "fused").toLowerCase(Locale.ROOT);
        ConvPath convPath = switch (path) {
            case "fused", "b" -> ConvPath.FUSED;
            case "add", "a" -> ConvPath.ADD;
            case "graph", "c" -> throw new ModelException(
                    "cuda option conv-path=" + path + ": the cuDNN graph API path is not implemented; use fused or add");
            default -> throw new ModelException("cuda option conv-path must be fused or add, got '" + path + "'");
        };
        String algo = options.getOrDefault("conv-algo", "find").toLowerCase(Locale.ROOT);
        ConvAlgorithms.Search search = switch (algo) {
            case "find" -> ConvAlgorithms.Search.FIND;
            case "heuristic" -> ConvAlgorithms.Search.HEURISTIC;
            default -> throw new ModelException("cuda option conv-algo must be find or heuristic, got '" + algo + "'");
        };
        return new CudaOptions(convPath, bool(options, "cuda-graph"), search, bool(options, "tf32"),
                bool(options, "allow-cpu-fallback"));
    }

    private static boolean bool(Map<String, String> options, String key) {
        String v = options.getOrDefault(key, "false").toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ModelException("cuda option " + key + " must be true or false, got '" + v + "'");
        };
    }
}
