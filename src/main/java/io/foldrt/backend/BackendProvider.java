package io.foldrt.backend;

import java.util.Map;

/**
 * Opens a backend of one kind ("cpu", "cuda"). Providers are found with {@link java.util.ServiceLoader}
 * (META-INF/services/io.foldrt.backend.BackendProvider), so the runtime never links a backend directly.
 */
public interface BackendProvider {
    /** The device kind this provider opens, as written on the command line: "cpu" or "cuda". */
    String kind();

    /**
     * Opens device {@code ordinal} with backend-specific {@code options} (for example "conv-path" or
     * "cuda-graph" for CUDA).
     *
     * @throws BackendUnavailableException with a one-line reason when the device cannot be used here
     */
    Backend open(int ordinal, Map<String, String> options);
}
