package io.foldrt.backend;

/**
 * Implemented by an {@link Executable} that plans its intermediate buffers ahead of time and can
 * say how much memory they take.
 */
public interface ActivationMemory {
    /** Bytes of activation (intermediate tensor) memory planned for one forward pass. */
    long plannedActivationBytes();
}
