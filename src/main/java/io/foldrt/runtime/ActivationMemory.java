package io.foldrt.runtime;

/**
 * Implemented by an {@link io.foldrt.backend.Executable} that plans its intermediate buffers ahead of time and can
 * say how much memory they take.
 */
public interface ActivationMemory {
    /** Bytes of activation (intermediate tensor) memory planned for one forward pass. */
    long plannedActivationBytes();
}
