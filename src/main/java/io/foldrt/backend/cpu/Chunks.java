package io.foldrt.backend.cpu;

/** How to cut a memory-bound loop of a given length into parallel chunks. */
final class Chunks {
    /** Below this many elements a loop runs on one thread: waking a helper would cost more than it saves. */
    private static final int MIN_CHUNK = 16 * 1024;

    private Chunks() {}

    /** Number of chunks for {@code length} items of roughly {@code itemSize} elements each. */
    static int count(int length, long itemSize, int threads) {
        long total = length * Math.max(1, itemSize);
        long byWork = Math.max(1, total / MIN_CHUNK);
        return (int) Math.max(1, Math.min(length, Math.min(byWork, 4L * threads)));
    }

    /** Start of chunk {@code i} of {@code chunks} over [0, length); chunk i ends where chunk i+1 starts. */
    static int start(int i, int chunks, int length) {
        return (int) ((long) length * i / chunks);
    }

    /** Number of row-panel splits so that {@code units} independent GEMM tiles keep every thread busy. */
    static int panelSplits(int units, int panels, int threads) {
        if (threads == 1 || units >= 2 * threads) return 1;
        return Math.clamp((2L * threads + units - 1) / units, 1, Math.max(1, panels));
    }
}
