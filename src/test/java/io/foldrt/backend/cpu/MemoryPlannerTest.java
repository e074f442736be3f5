package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class MemoryPlannerTest {

    @Test
    void overlappingLifetimesNeverShareASlotAndSlotsAreBigEnough() {
        SplittableRandom rng = new SplittableRandom(8);
        for (int trial = 0; trial < 200; trial++) {
            List<MemoryPlanner.Interval> ivs = new ArrayList<>();
            int n = 1 + rng.nextInt(40);
            for (int i = 0; i < n; i++) {
                int first = rng.nextInt(30);
                ivs.add(new MemoryPlanner.Interval(i, 1 + rng.nextInt(1000), first, first + rng.nextInt(8)));
            }
            MemoryPlanner.Plan plan = MemoryPlanner.plan(ivs);
            for (int i = 0; i < n; i++) {
                var a = ivs.get(i);
                assertTrue(plan.slotSizes()[plan.slotOf()[i]] >= a.size());
                for (int j = i + 1; j < n; j++) {
                    var b = ivs.get(j);
                    boolean overlap = a.first() <= b.last() && b.first() <= a.last();
                    assertTrue(!overlap || plan.slotOf()[i] != plan.slotOf()[j], "trial " + trial + ": " + a + " / " + b);
                }
            }
        }
    }

    @Test
    void aChainNeedsTwoSlots() {
        List<MemoryPlanner.Interval> chain = new ArrayList<>();
        for (int i = 0; i < 10; i++) chain.add(new MemoryPlanner.Interval(i, 100, i, i + 1)); // read by the next step
        MemoryPlanner.Plan plan = MemoryPlanner.plan(chain);
        assertEquals(2, plan.slotSizes().length);
        assertEquals(800, plan.bytes());
    }
}
