package io.foldrt.backend.cuda.driver;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_DOUBLE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Kernel argument blocks, raw-address wrappers and the PTX-versus-NVRTC decision, without a driver. */
class KernelPlumbingTest {

    @Test
    void argumentBlockHasOneSlotPerArgumentAndPointersToThem() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(arena, "PIJFD").ptr(0x1234_5678_9AL).i32(-7).i64(1L << 40).f32(1.5f).f64(-2.25);
            long table = ((HostAddress) a.kernelParams()).address();
            MemorySegment pointers = MemorySegment.ofAddress(table).reinterpret(5 * ADDRESS.byteSize());
            for (int i = 0; i < 5; i++) {
                assertEquals(a.slot(i).address(), pointers.getAtIndex(ADDRESS, i).address(), "slot " + i);
            }
            assertEquals(0x1234_5678_9AL, a.slot(0).get(JAVA_LONG, 0));
            assertEquals(-7, a.slot(1).get(JAVA_INT, 0));
            assertEquals(1L << 40, a.slot(2).get(JAVA_LONG, 0));
            assertEquals(1.5f, a.slot(3).get(JAVA_FLOAT, 0));
            assertEquals(-2.25, a.slot(4).get(JAVA_DOUBLE, 0));
        }
    }

    @Test
    void argumentCountIsChecked() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs a = new KernelArgs(arena, "IP").i32(1);
            assertThrows(IllegalStateException.class, a::kernelParams);
            assertThrows(IllegalStateException.class, () -> a.f32(2f)); // a float where a pointer belongs
            a.ptr(2);
            assertThrows(IllegalStateException.class, () -> a.i32(3));
        }
    }

    @Test
    void rawAddressesSurviveTheJCudaWrappers() {
        assertEquals(0xdead_beef_00L, DevPtr.of(0xdead_beef_00L).address());
        assertEquals(0x1000L, new HostAddress(0x1000L).address());
        assertEquals(0L, new DevPtr().address());
    }

    @Test
    void gridCoversTheElementsUpToACap() {
        assertEquals(1, KernelLaunch.gridFor(0, 256));
        assertEquals(1, KernelLaunch.gridFor(256, 256));
        assertEquals(2, KernelLaunch.gridFor(257, 256));
        assertEquals(KernelLaunch.MAX_GRID, KernelLaunch.gridFor(1L << 40, 256));
    }

    @Test
    void onlyPtxCompatibilityErrorsFallBackToNvrtc() {
        assertTrue(KernelModule.shouldCompileFromSource(222)); // CUDA_ERROR_UNSUPPORTED_PTX_VERSION
        assertTrue(KernelModule.shouldCompileFromSource(218)); // CUDA_ERROR_INVALID_PTX
        assertTrue(KernelModule.shouldCompileFromSource(209)); // CUDA_ERROR_NO_BINARY_FOR_GPU
        assertTrue(KernelModule.shouldCompileFromSource(200)); // CUDA_ERROR_INVALID_IMAGE
        assertFalse(KernelModule.shouldCompileFromSource(2));  // out of memory is not a PTX problem
        assertFalse(KernelModule.shouldCompileFromSource(201)); // invalid context
    }

    @Test
    void nvrtcTargetsTheRealArchitectureWithoutFma() {
        assertEquals(List.of("--gpu-architecture=sm_90", "--fmad=false"), NvrtcCompiler.options(9, 0));
        assertEquals(List.of("--gpu-architecture=sm_86", "--fmad=false"), NvrtcCompiler.options(8, 6));
    }

    @Test
    void kernelSourcesShipAsResourcesAndPtxIsNulTerminated() {
        assertTrue(KernelModule.resource("cuda/fold_bn.cu") != null, "fold_bn.cu on the classpath");
        byte[] t = KernelModule.nulTerminated(new byte[] {'a'});
        assertEquals(2, t.length);
        assertEquals(0, t[1]);
        assertEquals(t, KernelModule.nulTerminated(t));
    }
}
