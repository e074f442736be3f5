package io.foldrt.backend.cuda;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import java.util.Map;

/**
 * Service provider for kind "cuda". Options: see {@link CudaOptions} (conv-path, cuda-graph, conv-algo,
 * tf32, allow-cpu-fallback). Without a driver, GPU, cuDNN or cuBLAS, {@link #open} throws
 * {@link io.foldrt.backend.BackendUnavailableException} with a one-line reason.
 */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String kind() {
        return "cuda";
    }

    @Override
    public Backend open(int ordinal, Map<String, String> options) {
        CudaOptions parsed = CudaOptions.parse(options); // bad options are reported before touching the driver
        return CudaBackend.open(ordinal, parsed);
    }
}
