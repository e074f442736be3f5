package io.foldrt.backend.cuda.geometry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Places activation tensors in one device arena so that tensors alive at the same time never overlap and
 * dead ones are reused: greedy by size (largest first), each at the lowest aligned offset that does not
 * collide with an already placed tensor whose lifetime intersects its own.
 */
public final class MemoryPlanner {
    private MemoryPlanner() {}

    /** A tensor alive from step {@code first} to step {@code last}, both inclusive. */
    public record Block(long bytes, int first, int last) {
        public Block {
            if (bytes < 0 || last < first) throw new IllegalArgumentException("bad block " + bytes + " [" + first + "," + last + "]");
        }

        boolean overlapsInTime(Block o) {
            return first <= o.last && o.first <= last;
        }
    }

    /** Offsets in block order and the arena size. */
    public record Plan(long[] offsets, long totalBytes) {}

    public static Plan plan(List<Block> blocks, long alignment) {
        int n = blocks.size();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.<Integer>comparingLong(i -> -blocks.get(i).bytes())
                .thenComparingInt(i -> blocks.get(i).first()).thenComparingInt(i -> i));
        long[] offsets = new long[n];
        List<Integer> placed = new ArrayList<>();
        long total = 0;
        for (int i : order) {
            Block b = blocks.get(i);
            long size = align(b.bytes(), alignment);
            List<long[]> busy = new ArrayList<>(); // [start, end) of overlapping placed blocks
            for (int j : placed) {
                if (blocks.get(j).overlapsInTime(b)) busy.add(new long[] {offsets[j], offsets[j] + align(blocks.get(j).bytes(), alignment)});
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long at = 0;
            for (long[] r : busy) {
                if (r[0] - at >= size) break;
                at = Math.max(at, r[1]);
            }
            offsets[i] = at;
            total = Math.max(total, at + size);
            placed.add(i);
        }
        return new Plan(offsets, total);
    }

    /** {@code bytes} rounded up to a multiple of {@code alignment}. */
    public static long align(long bytes, long alignment) {
        return (bytes + alignment - 1) / alignment * alignment;
    }
}
