package io.foldrt.backend.cpu;

/** How to cut work into parallel tasks: chunks of element-wise loops and row-panel splits of GEMMs. */
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

    /**
     * Into how many row-panel ranges to split a GEMM whose columns give {@code units} independent tiles of
     * {@code cols} columns: enough for every thread to get work, and enough that no range holds more than
     * {@link Sgemm#MAX_TILE_PANELS} accumulator panels of NR columns (proportionally more of narrower ones).
     * Every range packs its own copy of the tile's B blocks, so a narrow tile (a small feature map) is split
     * into one range per thread rather than two: there packing is a larger share of the work than balance.
     * Where the tasks are fewer than two per thread, their count is rounded up to a multiple of the threads:
     * three equal tasks on two threads leave one idle a third of the time (MobileNetV2's 1x1 conv from 96 to
     * 576 channels on a 14x14 map, whose size rule asks for 3 ranges: measured 20-28% faster with 4). With
     * more tasks the last round is a small part, and each extra range would pack its B blocks again.
     */
    static int panelSplits(int units, int panels, int threads, int cols) {
        boolean narrow = cols < Sgemm.NR;
        int maxPanels = Sgemm.MAX_TILE_PANELS * (narrow ? Sgemm.NR / Math.max(64, (cols + 63) / 64 * 64) : 1);
        int tasks = narrow ? threads : 2 * threads;
        int bySize = (panels + maxPanels - 1) / maxPanels;
        int byThreads = threads == 1 || units >= tasks ? 1 : (tasks + units - 1) / units;
        int splits = Math.max(bySize, byThreads);
        while ((long) units * splits < 2L * threads && (units * splits) % threads != 0 && splits < panels) splits++;
        return Math.clamp(splits, 1, Math.max(1, panels));
    }

    /** Panels in the largest of {@code splits} ranges over {@code panels}: the accumulator tiles a task needs. */
    static int panelsPerSplit(int panels, int splits) {
        return (panels + splits - 1) / splits;
    }
}
