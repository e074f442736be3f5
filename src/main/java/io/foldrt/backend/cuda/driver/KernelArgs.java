package io.foldrt.backend.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jcuda.Pointer;

/**
 * The {@code void** kernelParams} block of one kernel launch, laid out once in native memory: one 8-byte
 * slot per argument and an array of pointers to the slots. Built at plan time, so a launch in the forward
 * pass allocates nothing and JCuda marshals nothing but one address. Each argument is checked against the
 * kernel's signature: P pointer, I int, J long long, F float, D double (one letter per parameter).
 */
public final class KernelArgs {
    private final MemorySegment slots;
    private final MemorySegment pointers;
    private final String signature;
    private final int count;
    private int filled;

    /**
     * @param arena     owns the block; it must outlive every launch that uses it
     * @param signature the kernel's parameter kinds, e.g. "PPJI"
     */
    public KernelArgs(Arena arena, String signature) {
        if (!signature.matches("[PIJFD]*")) throw new IllegalArgumentException("bad kernel signature " + signature);
        this.signature = signature;
        this.count = signature.length();
        this.slots = arena.allocate(8L * Math.max(count, 1), 8);
        this.pointers = arena.allocate(ADDRESS, Math.max(count, 1));
        for (int i = 0; i < count; i++) pointers.setAtIndex(ADDRESS, i, slots.asSlice(8L * i, 8));
    }

    private long next(char kind) {
        if (filled >= count) throw new IllegalStateException("more than " + count + " kernel arguments");
        if (signature.charAt(filled) != kind) {
            throw new IllegalStateException("kernel argument " + filled + " is " + signature.charAt(filled)
                    + " in signature " + signature + ", not " + kind);
        }
        return 8L * filled++;
    }

    /** A device pointer ({@code float*}, {@code const int*}, ...). */
    public KernelArgs ptr(long deviceAddress) {
        slots.set(JAVA_LONG, next('P'), deviceAddress);
        return this;
    }

    public KernelArgs i32(int v) {
        slots.set(JAVA_INT, next('I'), v);
        return this;
    }

    /** {@code long long}. */
    public KernelArgs i64(long v) {
        slots.set(JAVA_LONG, next('J'), v);
        return this;
    }

    public KernelArgs f32(float v) {
        slots.set(JAVA_FLOAT, next('F'), v);
        return this;
    }

    public KernelArgs f64(double v) {
        slots.set(JAVA_DOUBLE, next('D'), v);
        return this;
    }

    public int count() {
        return count;
    }

    public String signature() {
        return signature;
    }

    /** The slot of argument {@code i} (for tests). */
    MemorySegment slot(int i) {
        return slots.asSlice(8L * i, 8);
    }

    /** The pointer array for cuLaunchKernel; every argument must have been set. */
    public Pointer kernelParams() {
        if (filled != count) throw new IllegalStateException("kernel expects " + count + " arguments, " + filled + " set");
        return new HostAddress(pointers.address());
    }
}
