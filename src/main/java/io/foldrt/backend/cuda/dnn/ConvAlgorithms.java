package io.foldrt.backend.cuda.dnn;

import io.foldrt.nativebind.Cudnn;
import io.foldrt.nativebind.Cudnn.AlgoPerf;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses convolution algorithms, once per shape: cudnnFind* (trial runs, the default) or cuDNN's heuristic
 * ranking, first entry that succeeded. Results are cached for the life of the backend, so compiling the
 * same model again, or the same layer shape twice, searches once. Thread-safe.
 */
public final class ConvAlgorithms {
    /** How to choose. */
    public enum Search { FIND, HEURISTIC }

    /** Forward convolution or backward data (transposed convolution). */
    public enum Direction { FORWARD, BACKWARD_DATA }

    /** Everything the choice depends on. */
    public record Key(Direction direction, Search search, List<Integer> inputDims, List<Integer> filterDims,
                      List<Integer> outputDims, List<Integer> convParams, int mathType) {
        public static Key of(Direction d, Search s, int[] in, int[] filter, int[] out, int[] conv, int mathType) {
            return new Key(d, s, list(in), list(filter), list(out), list(conv), mathType);
        }

        private static List<Integer> list(int[] a) {
            return Arrays.stream(a).boxed().toList();
        }
    }

    /** The chosen algorithm and the workspace it needs. */
    public record Choice(int algo, long workspaceBytes, float timeMs) {}

    private final Map<Key, Choice> cache = new ConcurrentHashMap<>();

    /** The cached choice, or {@code search.get()} stored under {@code key}. */
    public Choice choose(Key key, java.util.function.Supplier<List<AlgoPerf>> search) {
        Choice c = cache.get(key);
        if (c != null) return c;
        c = first(key, search.get());
        cache.put(key, c);
        return c;
    }

    public int cachedShapes() {
        return cache.size();
    }

    /** The first result with status 0 (SUCCESS is 0 in both numberings). */
    static Choice first(Key key, List<AlgoPerf> results) {
        for (AlgoPerf p : results) {
            if (p.status() == 0) return new Choice(p.algo(), p.workspaceBytes(), p.timeMs());
        }
        throw new IllegalStateException("cuDNN found no working algorithm for " + key);
    }

    /** The math type for float32 convolutions: FMA only, or default (which lets Ampere+ use TF32). */
    public static int mathType(boolean tf32) {
        return tf32 ? Cudnn.CUDNN_DEFAULT_MATH : Cudnn.CUDNN_FMA_MATH;
    }
}
