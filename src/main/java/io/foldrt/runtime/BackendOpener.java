package io.foldrt.runtime;

import io.foldrt.backend.Backend;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Opens a backend for a device. The standard opener is {@link Backends#open(Device, Map, Consumer)}, which finds
 * providers with {@link java.util.ServiceLoader}; tests and embedders can pass their own.
 */
@FunctionalInterface
public interface BackendOpener {
    /**
     * @param options backend options (see {@link Backends} for how they are routed to a kind)
     * @param notices receives one-line notices, such as the fallback from CUDA to CPU under {@code auto}
     * @throws io.foldrt.backend.BackendUnavailableException when the device cannot be used here
     */
    Backend open(Device device, Map<String, String> options, Consumer<String> notices);

    /** The opener that uses the backends installed on the class path. */
    static BackendOpener installed() {
        return Backends::open;
    }
}
