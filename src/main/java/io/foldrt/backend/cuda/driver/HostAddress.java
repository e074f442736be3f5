package io.foldrt.backend.cuda.driver;

import jcuda.Pointer;

/**
 * A JCuda {@link Pointer} to a raw host address (pinned memory or native memory from an FFM arena). It has
 * neither a Java buffer nor a pointer array, so JCuda passes the address through unchanged.
 */
public final class HostAddress extends Pointer {
    public HostAddress(long address) {
        super(address);
    }

    /** An empty pointer for cuMemAllocHost to fill in. */
    HostAddress() {
        super();
    }

    public long address() {
        return getNativePointer() + getByteOffset();
    }
}
