package io.foldrt.nativebind;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The few driver API functions called through java.lang.foreign rather than JCuda. JCuda 12.6.0 calls the
 * old-ABI symbol {@code cuEventElapsedTime}, which CUDA 13 headers re-point to {@code cuEventElapsedTime_v2};
 * if a driver lacked the old symbol, the JVM would die at the first call. Looking both up here means a
 * missing symbol is an ordinary error.
 */
public final class LibCuda {
    private static final Map<String, FunctionDescriptor> SIGNATURES;
    static {
        Map<String, FunctionDescriptor> m = new LinkedHashMap<>();
        m.put("cuEventElapsedTime_v2", Sig.of("IAAA")); // preferred when the driver exports it
        m.put("cuEventElapsedTime", Sig.of("IAAA"));    // same prototype, older ABI name
        SIGNATURES = Collections.unmodifiableMap(m);
    }

    private static LibCuda instance;

    private final NativeLibraries.Library library;
    private final MethodHandle elapsedTime;
    private final String elapsedTimeSymbol;

    public static Map<String, FunctionDescriptor> signatures() {
        return SIGNATURES;
    }

    /** The process-wide binding of libcuda.so.1 (found through the loader's search path, as JCuda finds it). */
    public static synchronized LibCuda load() {
        if (instance == null) {
            NativeLibraries.Library lib = NativeLibraries.load("The CUDA driver", null,
                    NativeLibraries.CUDA_DRIVER_DEFAULTS);
            try {
                instance = new LibCuda(lib);
            } catch (RuntimeException e) {
                lib.release();
                throw e;
            }
        }
        return instance;
    }

    private LibCuda(NativeLibraries.Library library) {
        this.library = library;
        Binder b = new Binder(library, SIGNATURES);
        Optional<MethodHandle> v2 = b.optional("cuEventElapsedTime_v2");
        elapsedTimeSymbol = v2.isPresent() ? "cuEventElapsedTime_v2" : "cuEventElapsedTime";
        elapsedTime = v2.orElseGet(() -> b.require("cuEventElapsedTime"));
    }

    /** Which symbol {@link #eventElapsedTime} calls. */
    public String elapsedTimeSymbol() {
        return elapsedTimeSymbol;
    }

    public String file() {
        return library.files().get(0);
    }

    /** Milliseconds between two recorded, completed events (raw {@code CUevent} handles). */
    public float eventElapsedTime(long startEvent, long endEvent) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ms = a.allocate(JAVA_FLOAT);
            MemorySegment s = MemorySegment.ofAddress(startEvent), e = MemorySegment.ofAddress(endEvent);
            MethodHandle h = elapsedTime;
            int rc = Binder.status(() -> (int) h.invokeExact(ms, s, e));
            if (rc != 0) throw new CudaDriverException(elapsedTimeSymbol, rc);
            return ms.get(JAVA_FLOAT, 0);
        }
    }
}
