package io.foldrt.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * When the vector kernel may read a run-time GEMM operand in place: unit column stride, and every row of the
 * block, whole vectors wide, inside the array. Where it may not, the rows are copied (the GEMM and conv tests
 * check the values on both paths).
 */
class MatrixBTest {

    @Test
    void inPlaceOnlyWhereTheLastRowStaysInsideTheArray() {
        // 3 planes of 49 pixels (a 7x7 map), one row per plane: rows k0 = 1, 2 from column 32, 32 floats wide
        MatrixB planes = new MatrixB(49, 1);
        float[] exact = new float[3 * 49];
        assertEquals(49 + 32, planes.inPlace(exact, 0, 1, 2, 32, 17), "17 floats end at the array's end");
        assertEquals(-1, planes.inPlace(exact, 0, 1, 2, 32, 32), "the last row's second vector runs 15 floats past");
        assertEquals(49 + 32, planes.inPlace(new float[3 * 49 + 15], 0, 1, 2, 32, 32), "slack after the value");
        assertEquals(5 + 49 + 32, planes.inPlace(new float[5 + 3 * 49 + 15], 5, 1, 2, 32, 32), "an offset operand");
        assertEquals(-1, planes.inPlace(new float[5 + 3 * 49 + 14], 5, 1, 2, 32, 32), "one float short");
        assertEquals(-1, new MatrixB(1, 49).inPlace(new float[1000], 0, 0, 2, 0, 16), "columns not contiguous");
    }
}
