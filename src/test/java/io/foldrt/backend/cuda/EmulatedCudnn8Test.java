package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Backend;
import io.foldrt.emu.Emu;
import io.foldrt.ir.Graph;
import io.foldrt.nativebind.CudnnException;
import io.foldrt.nativebind.CudnnStatus;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The backend on the emulated stack posing as cuDNN 8.9.7 on a CUDA 13.0 driver (surefire execution
 * emulated-gpu-cudnn8, EMU_CUDNN_VERSION=8907, EMU_DRIVER_VERSION=13000): cuDNN 8 status numbers are named
 * and grouped right, so a refused fused call still falls back and an internal error still fails; the
 * kernels come from the shipped PTX when the build had nvcc (a CUDA 13 driver takes nvcc 13's PTX ISA 9.0),
 * else from NVRTC; and the numbers still match the CPU backend.
 */
@Tag("emulated-cudnn8")
class EmulatedCudnn8Test {
    private static final Graph FOLDED = Planner.plan(TestModels.convNet(), PlanOptions.defaults().withProbe(false)).graph();

    @AfterEach
    void noFaultsLeft() {
        Emu.clearFaults();
    }

    @Test
    void cudnn8NumberingAndTheKernelRoute() {
        var before = EmulatedGpu.Snapshot.take();
        var in = EmulatedGpu.inputs(FOLDED, 2, 21);
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of()); Backend cpu = EmulatedGpu.cpu()) {
            assertEquals(8907, cuda.cudnn().version());
            assertFalse(cuda.cudnn().v9Numbering());
            assertTrue(cuda.name().contains("driver 13.0") && cuda.name().contains("cuDNN 8907"), cuda.name());
            cuda.kernels().origins().forEach((module, origin) -> {
                boolean shipped = getClass().getClassLoader().getResource("cuda/" + module + ".ptx") != null;
                assertEquals(shipped ? "PTX resource cuda/" + module + ".ptx" : "NVRTC 12.6 CUBIN sm_90 because the jar has no cuda/"
                        + module + ".ptx (built without nvcc)", origin, module);
            });
            try (CudaExecutable e = cuda.compile(FOLDED, 2)) {
                assertTrue(String.join("\n", e.planReport()).contains("BiasActivationForward RELU"));
                EmulatedGpu.assertAllClose(EmulatedGpu.runOnce(cpu, FOLDED, in, 2), e.run(in), "cuDNN 8");
            }
        }
        before.assertRestored();
    }

    @Test
    void aRefusedFusedCallFallsBackAndAnInternalErrorFailsInCudnn8Numbers() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("conv-path", "fused"))) {
            Emu.fault("cudnnConvolutionBiasActivationForward", 1, 3000, false); // NOT_SUPPORTED, 9 in cuDNN 8
            try (CudaExecutable e = cuda.compile(FOLDED, 1)) {
                String report = String.join("\n", e.planReport());
                assertTrue(report.contains("cuDNN refused the fused call: cudnnConvolutionBiasActivationForward failed: "
                        + "CUDNN_STATUS_NOT_SUPPORTED (9)"), report);
            }
            Emu.fault("cudnnConvolutionBiasActivationForward", 1, 4000, false); // INTERNAL_ERROR, 4 in cuDNN 8
            var e = assertThrows(CudnnException.class, () -> cuda.compile(FOLDED, 1));
            assertEquals(4, e.code());
            assertEquals("CUDNN_STATUS_INTERNAL_ERROR", e.codeName());
            assertEquals(CudnnStatus.Category.INTERNAL_ERROR, e.category());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
        before.assertRestored();
    }
}
