package io.foldrt.backend.cpu;

import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.ir.ModelException;
import java.util.Map;

/**
 * Opens {@link CpuBackend} as device kind "cpu". Options: {@code threads}, the worker count (default all
 * cores, {@link Runtime#availableProcessors()}); {@code kernel}, the GEMM inner loop and depthwise
 * convolution ({@code auto}, {@code vector} or {@code loops}, see {@link MicroKernel}); {@code winograd},
 * {@code auto} (3x3 stride-1 convs run as Winograd F(2x2, 3x3) where {@link Winograd} says so) or {@code off}
 * (every conv through im2col). There is one CPU
 * device, ordinal 0.
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
        String kernel = "auto";
        boolean winograd = true;
        for (var e : options.entrySet()) {
            switch (e.getKey()) {
                case "threads" -> threads = parseThreads(e.getValue());
                case "kernel" -> kernel = e.getValue().trim();
                case "winograd" -> winograd = parseWinograd(e.getValue());
                default -> throw new ModelException(
                        "unknown cpu backend option '" + e.getKey() + "' (known: threads, kernel, winograd)");
            }
        }
        return new CpuBackend(threads, MicroKernel.select(kernel), winograd);
    }

    private static boolean parseWinograd(String v) {
        return switch (v.trim()) {
            case "auto" -> true;
            case "off" -> false;
            default -> throw new ModelException("cpu backend option winograd must be auto or off, got '" + v + "'");
        };
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
