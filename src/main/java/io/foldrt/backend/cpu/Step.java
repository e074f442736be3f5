package io.foldrt.backend.cpu;

/**
 * One compiled operation of a {@link CpuExecutable}. Everything shape-dependent is decided when the step is
 * built; {@link #run} only computes. Steps read and write value buffers through the frame by value id and
 * never write a buffer they read.
 */
interface Step {
    void run(Frame f);

    /**
     * Value ids this step reads at run time (buffers that must stay live until it runs). Constants it
     * packed or folded at compile time are not among them.
     */
    int[] reads();

    /** Value ids this step writes. */
    int[] writes();
}
