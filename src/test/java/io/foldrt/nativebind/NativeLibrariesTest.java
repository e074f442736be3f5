package io.foldrt.nativebind;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.BackendUnavailableException;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/** Library probing: override parsing, and the one-line message that names every file tried. */
@ResourceLock("system-properties")
class NativeLibrariesTest {

    @Test
    void overrideIsOneSetOfColonSeparatedFiles() {
        assertEquals(List.of(List.of("/a/libx.so", "/b/liby.so")),
                NativeLibraries.candidates("/a/libx.so: /b/liby.so:", NativeLibraries.CUDNN_DEFAULTS));
        assertEquals(NativeLibraries.CUBLAS_DEFAULTS, NativeLibraries.candidates(null, NativeLibraries.CUBLAS_DEFAULTS));
        assertEquals(NativeLibraries.CUBLAS_DEFAULTS, NativeLibraries.candidates("  ", NativeLibraries.CUBLAS_DEFAULTS));
    }

    @Test
    void defaultsProbeVersion9ThenVersion8() {
        assertEquals(List.of("libcudnn_graph.so.9", "libcudnn_ops.so.9", "libcudnn_cnn.so.9", "libcudnn.so.9"),
                NativeLibraries.CUDNN_DEFAULTS.get(0));
        assertTrue(NativeLibraries.CUDNN_DEFAULTS.get(1).contains("libcudnn.so.8"));
        assertEquals(List.of(List.of("libcublas.so.13"), List.of("libcublas.so.12")), NativeLibraries.CUBLAS_DEFAULTS);
        assertEquals(List.of(List.of("libnvrtc.so.13"), List.of("libnvrtc.so.12")), NativeLibraries.NVRTC_DEFAULTS);
    }

    @Test
    void bogusOverridesFailInOneLineNamingEveryFile() {
        check(NativeLibraries.CUDNN_PROPERTY, "/nonexistent/libcudnn_fake.so:/nonexistent/libcudnn_ops_fake.so",
                Cudnn::load, "cuDNN", List.of("/nonexistent/libcudnn_fake.so", "/nonexistent/libcudnn_ops_fake.so"));
        check(NativeLibraries.CUBLAS_PROPERTY, "/nonexistent/libcublas_fake.so", Cublas::load, "cuBLAS",
                List.of("/nonexistent/libcublas_fake.so"));
        check(NativeLibraries.NVRTC_PROPERTY, "/nonexistent/libnvrtc_fake.so", Nvrtc::load, "NVRTC",
                List.of("/nonexistent/libnvrtc_fake.so"));
    }

    @Test
    void anOverrideIsAllOrNothing() {
        // libc loads everywhere, but the second file does not: the override as a whole must fail.
        String prop = NativeLibraries.CUBLAS_PROPERTY;
        String old = System.getProperty(prop);
        System.setProperty(prop, "libc.so.6:/nonexistent/libcublas_fake.so");
        try {
            var e = assertThrows(BackendUnavailableException.class,
                    () -> NativeLibraries.load("cuBLAS", prop, NativeLibraries.CUBLAS_DEFAULTS));
            assertTrue(e.getMessage().contains("libc.so.6") && e.getMessage().contains("libcublas_fake.so"), e.getMessage());
        } finally {
            restore(prop, old);
        }
    }

    @Test
    void aLoadableLibraryWithoutTheFunctionsSaysWhichFunctionIsMissing() {
        String prop = NativeLibraries.NVRTC_PROPERTY;
        String old = System.getProperty(prop);
        System.setProperty(prop, "libc.so.6");
        try {
            var e = assertThrows(BackendUnavailableException.class, Nvrtc::load);
            assertTrue(e.getMessage().contains("lacks the function nvrtcVersion"), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        } finally {
            restore(prop, old);
        }
    }

    @Test
    void realAbsenceOnThisMachineNamesEveryDefaultFile() {
        // Only meaningful where cuDNN is not installed (CI, this build machine); elsewhere it loads and we stop.
        if (System.getProperty(NativeLibraries.CUDNN_PROPERTY) != null) return;
        try {
            Cudnn.load();
        } catch (BackendUnavailableException e) {
            for (List<String> set : NativeLibraries.CUDNN_DEFAULTS) {
                for (String f : set) assertTrue(e.getMessage().contains(f), e.getMessage());
            }
            assertTrue(e.getMessage().contains("-D" + NativeLibraries.CUDNN_PROPERTY), e.getMessage());
            assertFalse(e.getMessage().contains("\n"));
        }
    }

    private static void check(String prop, String value, Supplier<?> loader, String what, List<String> files) {
        String old = System.getProperty(prop);
        System.setProperty(prop, value);
        try {
            var e = assertThrows(BackendUnavailableException.class, loader::get);
            String m = e.getMessage();
            assertTrue(m.startsWith(what + " is not available"), m);
            for (String f : files) assertTrue(m.contains(f), m);
            assertTrue(m.contains("-D" + prop), m);
            assertFalse(m.contains("\n"), "one line: " + m);
        } finally {
            restore(prop, old);
        }
    }

    private static void restore(String prop, String old) {
        if (old == null) System.clearProperty(prop); else System.setProperty(prop, old);
    }
}
