package io.foldrt.nativebind;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * java.lang.foreign binding of NVRTC (13 or 12). JCuda's own NVRTC binding links {@code libnvrtc.so.12} with
 * versioned symbols, so it cannot use NVRTC 13; this one can. Each method is one C call that throws
 * {@link NvrtcException} on a non-zero result.
 */
public final class Nvrtc {
    private static final Map<String, FunctionDescriptor> SIGNATURES;
    static {
        Map<String, FunctionDescriptor> m = new LinkedHashMap<>();
        m.put("nvrtcVersion", Sig.of("IAA"));
        m.put("nvrtcGetErrorString", Sig.of("AI"));
        m.put("nvrtcCreateProgram", Sig.of("IAAAIAA"));
        m.put("nvrtcCompileProgram", Sig.of("IAIA"));
        m.put("nvrtcGetPTXSize", Sig.of("IAA"));
        m.put("nvrtcGetPTX", Sig.of("IAA"));
        m.put("nvrtcGetCUBINSize", Sig.of("IAA"));
        m.put("nvrtcGetCUBIN", Sig.of("IAA"));
        m.put("nvrtcGetProgramLogSize", Sig.of("IAA"));
        m.put("nvrtcGetProgramLog", Sig.of("IAA"));
        m.put("nvrtcDestroyProgram", Sig.of("IA"));
        SIGNATURES = Collections.unmodifiableMap(m);
    }

    private static Nvrtc instance;

    private final NativeLibraries.Library library;
    private final MethodHandle version, errorString, createProgram, compileProgram, ptxSize, ptx, cubinSize, cubin;
    private final MethodHandle logSize, log, destroyProgram;

    public static Map<String, FunctionDescriptor> signatures() {
        return SIGNATURES;
    }

    /** The process-wide binding; loads the library on first success (failures are not cached). */
    public static synchronized Nvrtc load() {
        if (instance == null) {
            NativeLibraries.Library lib = NativeLibraries.load("NVRTC", NativeLibraries.NVRTC_PROPERTY,
                    NativeLibraries.NVRTC_DEFAULTS);
            try {
                instance = new Nvrtc(lib);
            } catch (RuntimeException e) {
                lib.release();
                throw e;
            }
        }
        return instance;
    }

    private Nvrtc(NativeLibraries.Library library) {
        this.library = library;
        Binder b = new Binder(library, SIGNATURES);
        version = b.require("nvrtcVersion");
        errorString = b.require("nvrtcGetErrorString");
        createProgram = b.require("nvrtcCreateProgram");
        compileProgram = b.require("nvrtcCompileProgram");
        ptxSize = b.require("nvrtcGetPTXSize");
        ptx = b.require("nvrtcGetPTX");
        cubinSize = b.require("nvrtcGetCUBINSize");
        cubin = b.require("nvrtcGetCUBIN");
        logSize = b.require("nvrtcGetProgramLogSize");
        log = b.require("nvrtcGetProgramLog");
        destroyProgram = b.require("nvrtcDestroyProgram");
    }

    public List<String> files() {
        return library.files();
    }

    private void check(String call, int status) {
        if (status == 0) return;
        String text;
        try {
            text = Binder.cString((MemorySegment) errorString.invokeExact(status));
        } catch (Throwable t) {
            text = null;
        }
        throw new NvrtcException(call, status, text);
    }

    /** {major, minor}. */
    public int[] version() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment major = a.allocate(JAVA_INT), minor = a.allocate(JAVA_INT);
            check("nvrtcVersion", Binder.status(() -> (int) version.invokeExact(major, minor)));
            return new int[] {major.get(JAVA_INT, 0), minor.get(JAVA_INT, 0)};
        }
    }

    /** Creates a program without headers; the caller must {@link #destroyProgram} it. */
    public MemorySegment createProgram(String source, String name) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            MemorySegment src = a.allocateFrom(source), nm = a.allocateFrom(name);
            check("nvrtcCreateProgram", Binder.status(() -> (int) createProgram.invokeExact(
                    out, src, nm, 0, MemorySegment.NULL, MemorySegment.NULL)));
            return out.get(ADDRESS, 0);
        }
    }

    /**
     * Compiles; returns the status instead of throwing, because on a compilation error the caller wants the
     * log ({@link #programLog}) in the exception. Use {@link #fail} to throw.
     */
    public int compileProgram(MemorySegment program, List<String> options) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment opts = a.allocate(ADDRESS, Math.max(1, options.size()));
            for (int i = 0; i < options.size(); i++) opts.setAtIndex(ADDRESS, i, a.allocateFrom(options.get(i)));
            int n = options.size();
            return Binder.status(() -> (int) compileProgram.invokeExact(program, n, opts));
        }
    }

    /** Throws the exception for a failed call, with extra text such as a compiler log. */
    public NvrtcException fail(String call, int status, String detail) {
        String text;
        try {
            text = Binder.cString((MemorySegment) errorString.invokeExact(status));
        } catch (Throwable t) {
            text = null;
        }
        return new NvrtcException(call, status, detail == null ? text : (text == null ? detail : text + ": " + detail));
    }

    public String programLog(MemorySegment program) {
        byte[] b = bytes(program, "nvrtcGetProgramLogSize", logSize, "nvrtcGetProgramLog", log);
        int end = b.length;
        while (end > 0 && b[end - 1] == 0) end--; // the size includes the trailing NUL
        return new String(b, 0, end, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The PTX text including its trailing NUL, as the driver's module loader wants it. */
    public byte[] ptx(MemorySegment program) {
        return bytes(program, "nvrtcGetPTXSize", ptxSize, "nvrtcGetPTX", ptx);
    }

    /** The CUBIN, or an empty array when the program was compiled for a virtual architecture. */
    public byte[] cubin(MemorySegment program) {
        return bytes(program, "nvrtcGetCUBINSize", cubinSize, "nvrtcGetCUBIN", cubin);
    }

    public void destroyProgram(MemorySegment program) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(ADDRESS);
            p.set(ADDRESS, 0, program);
            check("nvrtcDestroyProgram", Binder.status(() -> (int) destroyProgram.invokeExact(p)));
        }
    }

    private byte[] bytes(MemorySegment program, String sizeCall, MethodHandle size, String getCall, MethodHandle get) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment n = a.allocate(JAVA_LONG);
            check(sizeCall, Binder.status(() -> (int) size.invokeExact(program, n)));
            long len = n.get(JAVA_LONG, 0);
            if (len == 0) return new byte[0];
            MemorySegment buf = a.allocate(len);
            check(getCall, Binder.status(() -> (int) get.invokeExact(program, buf)));
            return buf.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }
}
