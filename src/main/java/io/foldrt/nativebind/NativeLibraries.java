package io.foldrt.nativebind;

import io.foldrt.backend.BackendUnavailableException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Finds the NVIDIA libraries reached through java.lang.foreign. Each library has a system property that
 * overrides the search (a path to a .so, or a ':'-separated list loaded together) and a default list of
 * candidate sets tried in order; a default set is used when at least one of its files loads, an override
 * only when every listed file loads. Failure is a {@link BackendUnavailableException} whose one-line message
 * names every file probed.
 */
public final class NativeLibraries {
    /** System property naming the cuDNN library file(s). */
    public static final String CUDNN_PROPERTY = "foldrt.cudnn.path";
    /** System property naming the cuBLAS library file(s). */
    public static final String CUBLAS_PROPERTY = "foldrt.cublas.path";
    /** System property naming the NVRTC library file(s). */
    public static final String NVRTC_PROPERTY = "foldrt.nvrtc.path";

    /**
     * cuDNN 9 is split into sub-libraries; the facts file verifies that loading them directly works, while
     * whether the libcudnn.so.9 shim re-exports every legacy symbol is unconfirmed. So the sub-libraries come
     * first in lookup order and the shim last. cuDNN 8's shim exports everything.
     */
    public static final List<List<String>> CUDNN_DEFAULTS = List.of(
            List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn.so.9"),
            List.of("libcudnn.so.8", "libcudnn_ops_infer.so.8", "libcudnn_cnn_infer.so.8"));
    public static final List<List<String>> CUBLAS_DEFAULTS = List.of(List.of("libcublas.so.13"), List.of("libcublas.so.12"));
    public static final List<List<String>> NVRTC_DEFAULTS = List.of(List.of("libnvrtc.so.13"), List.of("libnvrtc.so.12"));
    /** The driver library: the same file JCuda's native library links, found by the same loader search. */
    public static final List<List<String>> CUDA_DRIVER_DEFAULTS = List.of(List.of("libcuda.so.1"));

    private NativeLibraries() {}

    /**
     * A loaded library (or set of libraries searched together). It stays loaded for the life of the process
     * once a binding class has been built from it; {@link #release()} unloads one that could not be bound.
     *
     * @param what  human name for messages, e.g. "cuDNN"
     * @param files the files that loaded, in lookup order
     */
    public record Library(String what, List<String> files, SymbolLookup lookup, Arena arena) {
        public Library {
            files = List.copyOf(files);
        }

        void release() {
            arena.close();
        }
    }

    /** The candidate sets for one library: the override (one set) if given, else the defaults. */
    public static List<List<String>> candidates(String override, List<List<String>> defaults) {
        if (override == null || override.isBlank()) return defaults;
        List<String> files = new ArrayList<>();
        for (String f : override.split(":")) if (!f.isBlank()) files.add(f.trim());
        return List.of(List.copyOf(files));
    }

    /** Loads {@code what} using system property {@code property} or the {@code defaults}. */
    @SuppressWarnings("restricted") // loading native libraries is this class's job
    public static Library load(String what, String property, List<List<String>> defaults) {
        String override = property == null ? null : System.getProperty(property);
        boolean overridden = override != null && !override.isBlank();
        Set<String> probed = new LinkedHashSet<>();
        for (List<String> set : candidates(override, defaults)) {
            Arena arena = Arena.ofShared();
            List<String> loaded = new ArrayList<>();
            SymbolLookup lookup = null;
            for (String file : set) {
                probed.add(file);
                try {
                    SymbolLookup l = file.contains("/")
                            ? SymbolLookup.libraryLookup(Path.of(file), arena)
                            : SymbolLookup.libraryLookup(file, arena);
                    lookup = lookup == null ? l : lookup.or(l);
                    loaded.add(file);
                } catch (IllegalArgumentException | IllegalStateException notLoadable) {
                    // not present or not loadable here: keep probing, the final message lists it
                }
            }
            boolean usable = overridden ? loaded.size() == set.size() : !loaded.isEmpty();
            if (usable) return new Library(what, loaded, lookup, arena);
            arena.close();
        }
        throw new BackendUnavailableException(unavailableMessage(what, property, overridden, probed));
    }

    static String unavailableMessage(String what, String property, boolean overridden, Set<String> probed) {
        String hint = property == null ? ""
                : overridden ? " (as set by -D" + property + ")"
                : " (set -D" + property + "=/path/to/lib.so to name it)";
        return what + " is not available: could not load " + String.join(", ", probed) + hint;
    }
}
