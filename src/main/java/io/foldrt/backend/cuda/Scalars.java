package io.foldrt.backend.cuda;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** Host-side alpha/beta arguments of cuDNN and cuBLAS calls (float, as for float32 tensors). */
final class Scalars {
    /** Shared read-only constants, alive for the whole process. */
    static final MemorySegment ONE = of(Arena.global(), 1f);
    static final MemorySegment ZERO = of(Arena.global(), 0f);

    private Scalars() {}

    static MemorySegment of(Arena arena, float v) {
        MemorySegment s = arena.allocate(JAVA_FLOAT);
        s.set(JAVA_FLOAT, 0, v);
        return s;
    }
}
