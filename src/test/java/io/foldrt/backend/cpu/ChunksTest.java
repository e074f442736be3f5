package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** How GEMMs are cut into tasks: enough for every thread, balanced where they are few, tiles that fit. */
class ChunksTest {

    @Test
    void fewTasksComeInMultiplesOfTheThreads() {
        // MobileNetV2's 1x1 conv 96 -> 576 on 14x14: one 196-pixel tile of 72 panels; the size rule alone
        // asks for 3 ranges, which two threads run in two rounds.
        assertEquals(4, Chunks.panelSplits(1, 72, 2, 196));
        // ResNet's 56x56 stage: seven 512-pixel tiles keep one range each (a second would pack im2col twice).
        assertEquals(1, Chunks.panelSplits(7, 8, 2, Sgemm.NR));
        for (int threads = 1; threads <= 4; threads++) {
            for (int units = 1; units <= 9; units++) {
                for (int panels = 1; panels <= 160; panels++) {
                    for (int cols : new int[] {1, 49, 196, 300, Sgemm.NR}) {
                        int s = Chunks.panelSplits(units, panels, threads, cols);
                        String what = "units " + units + " panels " + panels + " threads " + threads + " cols " + cols;
                        assertTrue(s >= 1 && s <= panels, what + ": " + s);
                        int per = Chunks.panelsPerSplit(panels, s);
                        int maxPanels = Sgemm.MAX_TILE_PANELS * (cols < Sgemm.NR ? Sgemm.NR / Math.max(64, (cols + 63) / 64 * 64) : 1);
                        assertTrue(per <= maxPanels, what + ": " + per + " panels per task");
                        if (threads > 1 && units < threads && s < panels) assertTrue(units * s >= threads, what + ": idle threads");
                        if (units * s < 2 * threads && s < panels) {
                            assertEquals(0, units * s % threads, what + ": " + units * s + " tasks");
                        }
                    }
                }
            }
        }
    }
}
