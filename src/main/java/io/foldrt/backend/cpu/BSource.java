package io.foldrt.backend.cpu;

/**
 * The right GEMM operand (depth x cols), delivered to the micro-kernel one block at a time as separate
 * row arrays that each start at index 0. That shape is what C2 needs to vectorize the kernel, and filling
 * the rows is where a convolution's im2col happens.
 */
interface BSource {
    /**
     * Rows {@code k0 .. k0+kc-1}, columns {@code j0 .. j0+nc-1} of the operand, as {@code kc} arrays whose
     * element {@code j} is column {@code j0 + j}. {@code src, srcOff} locate the run-time operand; sources
     * packed at compile time ignore them. The returned arrays belong to {@code ws} or to the source.
     */
    float[][] panel(float[] src, int srcOff, int k0, int kc, int j0, int nc, Workspace ws);
}
