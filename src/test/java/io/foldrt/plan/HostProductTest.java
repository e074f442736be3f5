package io.foldrt.plan;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The host default of {@link FoldEngine#multiply}: shapes, transposes, alpha, float64 accumulation. */
class HostProductTest {
    private static final FoldEngine ENGINE = new FoldEngine() { // only the default method under test
        @Override
        public String name() {
            return "default";
        }

        @Override
        public List<FoldJob.Result> fold(List<FoldJob> jobs) {
            throw new UnsupportedOperationException();
        }
    };

    // A [2, 3] and B [3, 2]; A·B = [[4, 5], [10, 11]]
    private static final Tensor A = Tensor.of(new int[] {2, 3}, 1, 2, 3, 4, 5, 6);
    private static final Tensor B = Tensor.of(new int[] {3, 2}, 1, 0, 0, 1, 1, 1);

    private static Tensor transpose(Tensor t) {
        int r = t.dim(0), c = t.dim(1);
        float[] d = new float[r * c];
        for (int i = 0; i < r; i++) for (int j = 0; j < c; j++) d[j * r + i] = t.data()[i * c + j];
        return new Tensor(new int[] {c, r}, d);
    }

    @Test
    void everyTransposeGivesTheSameRowMajorProduct() {
        float[] want = {8, 10, 20, 22}; // 2·A·B
        for (boolean ta : new boolean[] {false, true}) {
            for (boolean tb : new boolean[] {false, true}) {
                Tensor c = ENGINE.multiply(ta ? transpose(A) : A, ta, tb ? transpose(B) : B, tb, 2.0);
                assertArrayEquals(new int[] {2, 2}, c.shape());
                assertArrayEquals(want, c.data(), "transA " + ta + " transB " + tb);
            }
        }
    }

    @Test
    void accumulatesInFloat64AndRoundsOnce() {
        // 1e8 + 1 - 1e8 is 1 in float64 but 0 if summed in float32; alpha is applied before the rounding.
        Tensor a = Tensor.of(new int[] {1, 3}, 1e8f, 1f, -1e8f), b = Tensor.of(new int[] {3, 1}, 1f, 1f, 1f);
        assertEquals(1f / 3, ENGINE.multiply(a, false, b, false, 1.0 / 3).data()[0]);
        assertEquals(new CpuFoldEngine().multiply(a, false, b, false, 1.0).data()[0], 1f);
    }

    @Test
    void refusesOperandsThatDoNotMultiply() {
        var e = assertThrows(IllegalArgumentException.class, () -> ENGINE.multiply(A, false, A, false, 1));
        assertTrue(e.getMessage().contains("op(A) is 2x3 but op(B) is 2x3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ENGINE.multiply(A.reshape(6), false, B, false, 1));
    }
}
