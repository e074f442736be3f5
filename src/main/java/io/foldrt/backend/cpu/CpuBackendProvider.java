package io.foldrt.backend.cpu;

import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.ir.ModelException;
import java.util.Map;

/**
 * Opens {@link CpuBackend} as device kind "cpu". Option {@code threads}: worker count, default all cores
 * ({@link Runtime#availableProcessors()}). There is one CPU device, ordinal 0.
 */
public final class CpuBackendProvider implements BackendProvider {

    @Override
    public String kind() {
        return "cpu";
    }

    @Override
    public CpuBackend open(int ordinal, Map<String, String> options) {
        if (ordinal != 0) throw new BackendUnavailableException("cpu has only device 0, not " + ordinal);
        int threads = Runtime.getRuntime().availableProcessors();
        for (var e : options.entrySet()) {
            if (!e.getKey().equals("threads")) {
                throw new ModelException("unknown cpu backend option '" + e.getKey() + "' (known: threads)");
            }
            threads = parseThreads(e.getValue());
        }
        return new CpuBackend(threads);
    }

    private static int parseThreads(String v) {
        try {
            int t = Integer.parseInt(v.trim());
            if (t > 0) return t;
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new ModelException("cpu backend option threads must be a positive integer, got '" + v + "'");
    }
}
