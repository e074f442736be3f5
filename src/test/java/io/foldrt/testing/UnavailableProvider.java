package io.foldrt.testing;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import java.util.Map;

/** A provider whose device is never available here, like CUDA on a laptop. */
public record UnavailableProvider(String kind, String reason) implements BackendProvider {
    @Override
    public Backend open(int ordinal, Map<String, String> options) {
        throw new BackendUnavailableException(reason);
    }
}
