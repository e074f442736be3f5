package io.foldrt.backend.cpu;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * Assigns intermediate values to reusable buffers ("slots") from their lifetimes, by greedy interval
 * assignment: values are taken in order of definition; a slot returns to the free pool once the last
 * step that reads its value has run; a new value takes the smallest free slot that is big enough, else
 * grows the largest free one, else opens a new slot. Two values whose lifetimes overlap never share a slot.
 */
final class MemoryPlanner {
    private MemoryPlanner() {}

    /** Value {@code value} needs {@code size} floats from step {@code first} through step {@code last}. */
    record Interval(int value, int size, int first, int last) {
        Interval {
            if (last < first) throw new IllegalArgumentException("interval ends before it starts: " + this);
        }
    }

    /**
     * {@code slotOf[i]} is the slot of the i-th interval given; {@code slotSizes} in floats;
     * {@code unsharedBytes} what one buffer per value would take.
     */
    record Plan(int[] slotOf, int[] slotSizes, long unsharedBytes) {
        long bytes() {
            long b = 0;
            for (int s : slotSizes) b += 4L * s;
            return b;
        }
    }

    static Plan plan(List<Interval> intervals) {
        int count = intervals.size();
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) order[i] = i;
        java.util.Arrays.sort(order, Comparator.<Integer>comparingInt(i -> intervals.get(i).first())
                .thenComparingInt(i -> -intervals.get(i).size()));
        int[] slotOf = new int[count];
        List<Integer> sizes = new ArrayList<>();
        TreeMap<Integer, List<Integer>> free = new TreeMap<>(); // slot size -> free slots of that size
        PriorityQueue<Integer> live = new PriorityQueue<>(Comparator.comparingInt(i -> intervals.get(i).last()));
        for (int idx : order) {
            Interval iv = intervals.get(idx);
            while (!live.isEmpty() && intervals.get(live.peek()).last() < iv.first()) {
                int done = live.poll();
                put(free, sizes.get(slotOf[done]), slotOf[done]);
            }
            int slot;
            var fit = free.ceilingEntry(iv.size());
            if (fit != null) {
                slot = take(free, fit.getKey());
            } else if (!free.isEmpty()) {
                slot = take(free, free.lastKey());
                sizes.set(slot, iv.size());
            } else {
                slot = sizes.size();
                sizes.add(iv.size());
            }
            slotOf[idx] = slot;
            live.add(idx);
        }
        long unshared = 0;
        for (Interval iv : intervals) unshared += 4L * iv.size();
        return new Plan(slotOf, sizes.stream().mapToInt(Integer::intValue).toArray(), unshared);
    }

    private static void put(TreeMap<Integer, List<Integer>> free, int size, int slot) {
        free.computeIfAbsent(size, k -> new ArrayList<>()).add(slot);
    }

    private static int take(TreeMap<Integer, List<Integer>> free, int size) {
        List<Integer> slots = free.get(size);
        int slot = slots.remove(slots.size() - 1);
        if (slots.isEmpty()) free.remove(size);
        return slot;
    }
}
