package io.foldrt.nativebind;

import io.foldrt.backend.BackendUnavailableException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Map;
import java.util.Optional;

/** Turns the symbols of one loaded library into downcall handles; shared plumbing of the binding classes. */
@SuppressWarnings("restricted") // downcalls and C strings are this class's job
final class Binder {
    private static final Linker LINKER = Linker.nativeLinker();

    private final NativeLibraries.Library library;
    private final Map<String, FunctionDescriptor> signatures;

    Binder(NativeLibraries.Library library, Map<String, FunctionDescriptor> signatures) {
        this.library = library;
        this.signatures = signatures;
    }

    /** The handle for {@code name}; a missing symbol makes the whole library unusable, said in one line. */
    MethodHandle require(String name) {
        return optional(name).orElseThrow(() -> new BackendUnavailableException(library.what() + " in "
                + String.join(", ", library.files()) + " lacks the function " + name));
    }

    Optional<MethodHandle> optional(String name) {
        FunctionDescriptor fd = signatures.get(name);
        if (fd == null) throw new IllegalStateException(name + " is not in the signature table");
        return library.lookup().find(name).map(addr -> LINKER.downcallHandle(addr, fd));
    }

    /** A C string returned by a library (static storage), or null for NULL. */
    static String cString(MemorySegment p) {
        if (p == null || p.equals(MemorySegment.NULL)) return null;
        return p.reinterpret(Long.MAX_VALUE).getString(0);
    }

    /** invokeExact declares Throwable; a downcall only throws unchecked errors, so rethrow those as they are. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException("native call failed", t);
    }

    /** A native call returning an int status. */
    @FunctionalInterface
    interface IntCall {
        int call() throws Throwable;
    }

    static int status(IntCall c) {
        try {
            return c.call();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
