package io.foldrt.backend.cuda;

/**
 * One unit of work of a forward pass. {@link #enqueue()} queues it on the executable's stream and returns
 * without waiting for the device; everything it needs (descriptors, addresses, argument blocks) was
 * prepared at compile time.
 */
interface Step {
    /** The graph node this work belongs to, for per-layer timing. */
    String node();

    void enqueue();

    /** One line for the plan report, e.g. "cudnnConvolutionForward algo 1, ws 2.0 MiB". */
    String describe();
}
