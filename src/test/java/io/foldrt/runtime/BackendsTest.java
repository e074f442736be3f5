package io.foldrt.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.testing.ReferenceProvider;
import io.foldrt.testing.UnavailableProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendsTest {
    private final ReferenceProvider cpu = new ReferenceProvider("cpu");
    private final ReferenceProvider cuda = new ReferenceProvider("cuda");
    private final BackendProvider noGpu = new UnavailableProvider("cuda", "libcuda.so.1 not found");
    private final List<String> notices = new ArrayList<>();

    @Test
    void autoFallsBackToCpuWithExactlyOneNotice() {
        try (Backend b = Backends.open(List.of(noGpu, cpu), Device.auto(), Map.of(), notices::add)) {
            assertEquals("reference cpu", b.name());
        }
        assertEquals(List.of("cuda unavailable (libcuda.so.1 not found): using cpu"), notices);
    }

    @Test
    void autoPrefersCudaAndSaysNothing() {
        try (Backend b = Backends.open(List.of(cpu, cuda), Device.auto(), Map.of(), notices::add)) {
            assertEquals("reference cuda:0", b.name());
        }
        assertEquals(List.of(), notices);
        assertEquals(0, cpu.opens.get());
    }

    @Test
    void autoWithoutAnyCudaBackend() {
        Backends.open(List.of(cpu), Device.auto(), Map.of(), notices::add).close();
        assertEquals(List.of("cuda unavailable (no cuda backend installed): using cpu"), notices);
    }

    @Test
    void autoTreatsAnUnlinkableNativeLibraryAsUnavailable() {
        BackendProvider broken = new BackendProvider() {
            @Override
            public String kind() {
                return "cuda";
            }

            @Override
            public Backend open(int ordinal, Map<String, String> options) {
                throw new UnsatisfiedLinkError("no JCudaDriver in java.library.path");
            }
        };
        Backends.open(List.of(broken, cpu), Device.auto(), Map.of(), notices::add).close();
        assertEquals(List.of("cuda unavailable (java.lang.UnsatisfiedLinkError: no JCudaDriver in java.library.path): "
                + "using cpu"), notices);
    }

    @Test
    void explicitCudaThatIsUnavailableFailsInOneLine() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.open(List.of(noGpu, cpu), Device.cuda(1), Map.of(), notices::add));
        assertEquals("cuda:1 unavailable (libcuda.so.1 not found)", e.getMessage());
        assertEquals(0, cpu.opens.get(), "an explicit device never falls back");
        assertEquals(List.of(), notices);
    }

    @Test
    void missingCpuBackend() {
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class,
                () -> Backends.open(List.of(), Device.cpu(), Map.of(), notices::add));
        assertEquals("cpu unavailable (no cpu backend installed)", e.getMessage());
    }

    @Test
    void passesTheOrdinal() {
        Backends.open(List.of(cuda), Device.cuda(2), Map.of(), notices::add).close();
        assertEquals(2, cuda.lastOrdinal);
    }

    @Test
    void routesOptionsByKindPrefix() {
        Map<String, String> opts = Map.of("cpu.threads", "4", "cuda.conv-path", "implicit-gemm", "verbose", "1");
        Backends.open(List.of(cpu, cuda), Device.cpu(), opts, notices::add).close();
        assertEquals(Map.of("threads", "4", "verbose", "1"), cpu.lastOptions);
        Backends.open(List.of(cpu, cuda), Device.cuda(0), opts, notices::add).close();
        assertEquals(Map.of("conv-path", "implicit-gemm", "verbose", "1"), cuda.lastOptions);
        // The specific form wins over the unprefixed one.
        assertEquals(Map.of("threads", "2"), Backends.optionsFor("cpu", Map.of("threads", "8", "cpu.threads", "2")));
    }
}
