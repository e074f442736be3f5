package io.foldrt.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.Backend;
import io.foldrt.backend.cuda.driver.DeviceOutOfMemoryException;
import io.foldrt.backend.cuda.driver.LiveResources;
import io.foldrt.emu.Emu;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Tensor;
import io.foldrt.nativebind.CublasException;
import io.foldrt.nativebind.CudaDriverException;
import io.foldrt.nativebind.CudnnException;
import io.foldrt.nativebind.CudnnStatus;
import io.foldrt.nativebind.NvrtcException;
import io.foldrt.plan.PlanOptions;
import io.foldrt.plan.Planner;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Failures injected into the emulated driver, cuDNN, cuBLAS and NVRTC: each surfaces as an exception whose
 * one-line message names the failing call (or, for memory, what the memory was for), everything allocated
 * up to the failure is freed (the emulator's registry is back to its snapshot), and the backend stays
 * usable once the fault is gone.
 */
@Tag("emulated")
class EmulatedFaultTest {
    private static final Graph SEPARATE = Planner.plan(TestModels.convNet(), PlanOptions.unfolded().withProbe(false)).graph();
    private static final Graph FOLDED = Planner.plan(TestModels.convNet(), PlanOptions.defaults().withProbe(false)).graph();
    private static Map<String, Tensor> in, wantSeparate, wantFolded;

    @BeforeAll
    static void expectedOutputs() {
        in = EmulatedGpu.inputs(FOLDED, 2, 17);
        try (Backend cpu = EmulatedGpu.cpu()) {
            wantSeparate = EmulatedGpu.runOnce(cpu, SEPARATE, in, 2);
            wantFolded = EmulatedGpu.runOnce(cpu, FOLDED, in, 2);
        }
    }

    @AfterEach
    void noFaultsLeft() {
        Emu.clearFaults();
        Emu.setMemoryLimit(0);
    }

    @Test
    void outOfMemoryAtEveryAllocationOfACompileFreesEverything() {
        // How many device and pinned allocations a compile of a fresh backend makes (CUDA graph on, so the
        // capture is part of it).
        long cleanCount;
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", "true"))) {
            long a = allocations();
            cuda.compile(FOLDED, 2).close();
            cleanCount = allocations() - a;
        }
        assertTrue(cleanCount >= 5, "weights, activations, workspace, upload staging, io staging: " + cleanCount);
        for (int nth = 1; nth <= cleanCount; nth++) {
            var before = EmulatedGpu.Snapshot.take();
            try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", "true"))) {
                var opened = LiveResources.snapshot();
                Emu.fault("alloc", nth, 0, true); // this one and every later one: the pool's retry fails too
                var e = assertThrows(DeviceOutOfMemoryException.class, () -> cuda.compile(FOLDED, 2), "allocation " + nth);
                assertOneLine(e);
                assertTrue(e.getMessage().startsWith("model 'convnet-folded' at batch 2: ")
                        || e.getMessage().startsWith("model '" + FOLDED.name() + "' at batch 2: "), e.getMessage());
                assertTrue(e.getMessage().contains("out of") && e.getMessage().endsWith("everything allocated for it was freed"),
                        e.getMessage());
                assertNothingOwned(cuda, opened, "allocation " + nth);
                Emu.clearFaults();
                assertRunsCorrectly(cuda, FOLDED, wantFolded, "after out of memory at allocation " + nth);
            }
            before.assertRestored();
        }
    }

    @Test
    void aSingleFailedDeviceAllocationIsRetriedAfterFreeingTheCache() {
        var before = EmulatedGpu.Snapshot.take();
        long clean;
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            long a = Emu.callCount("cuMemAlloc_v2");
            cuda.compile(FOLDED, 2).close();
            clean = Emu.callCount("cuMemAlloc_v2") - a;
        }
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            long a = Emu.callCount("cuMemAlloc_v2");
            Emu.fault("cuMemAlloc_v2", 1, 0, false);
            assertRunsCorrectly(cuda, FOLDED, wantFolded, "one failed cuMemAlloc, then retried");
            assertEquals(clean + 1, Emu.callCount("cuMemAlloc_v2") - a, "the failed allocation was tried again once");
        }
        before.assertRestored();
    }

    @Test
    void aFullDeviceFirstEmptiesThePoolsCacheThenSaysWhatDidNotFit() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            cuda.compile(FOLDED, 2).close(); // its blocks stay cached in the pool
            long cached = cuda.pool().cachedBytes();
            assertTrue(cached > 0);
            Emu.setMemoryLimit(cached); // the device is full of cached blocks
            long frees = Emu.callCount("cuMemFree_v2");
            // batch 1 reuses the cached weights and workspace; its smaller activation block needs a fresh
            // allocation, which only fits once the cache is released
            var in1 = EmulatedGpu.inputs(FOLDED, 1, 3);
            Map<String, Tensor> want;
            try (Backend cpu = EmulatedGpu.cpu()) {
                want = EmulatedGpu.runOnce(cpu, FOLDED, in1, 1);
            }
            EmulatedGpu.assertAllClose(want, EmulatedGpu.runOnce(cuda, FOLDED, in1, 1), "after the cache was released");
            assertTrue(Emu.callCount("cuMemFree_v2") > frees, "the cache was not released");

            Emu.setMemoryLimit(1 << 20);
            var e = assertThrows(DeviceOutOfMemoryException.class, () -> cuda.compile(FOLDED, 2));
            assertOneLine(e);
            assertTrue(e.getMessage().contains("the workspace of model '" + FOLDED.name() + "' at batch 2 needs 32.0 MiB"),
                    e.getMessage());
            assertTrue(e.getMessage().contains(" free of "), e.getMessage());
        }
        before.assertRestored();
    }

    @Test
    void failingCudnnCallsAtCompileAndRunTime() {
        for (String call : new String[] {"cudnnConvolutionForward", "cudnnBatchNormalizationForwardInference",
                "cudnnAddTensor", "cudnnSoftmaxForward", "cudnnCreate", "cudnnCreateTensorDescriptor",
                "cudnnSetConvolution2dDescriptor", "cudnnFindConvolutionForwardAlgorithm"}) {
            failsAtCompile(Map.of("conv-path", "add"), SEPARATE, call, CudnnException.class);
        }
        for (String call : new String[] {"cudnnConvolutionForward", "cudnnBatchNormalizationForwardInference"}) {
            failsAtRun(SEPARATE, wantSeparate, call, CudnnException.class);
        }
    }

    @Test
    void failingCublasCallsAtCompileAndRunTime() {
        for (String call : new String[] {"cublasSgemm_v2", "cublasCreate_v2", "cublasSetStream_v2", "cublasSetWorkspace_v2"}) {
            failsAtCompile(Map.of(), FOLDED, call, CublasException.class);
        }
        failsAtRun(FOLDED, wantFolded, "cublasSgemm_v2", CublasException.class);
    }

    @Test
    void failingDriverCallsAtCompileAndRunTime() {
        for (String call : new String[] {"cuStreamCreate", "cuLaunchKernel", "kernel:pool2d"}) {
            failsAtCompile(Map.of(), FOLDED, call, CudaDriverException.class);
        }
        failsAtRun(FOLDED, wantFolded, "cuLaunchKernel", CudaDriverException.class);
        failsAtRun(FOLDED, wantFolded, "cuStreamSynchronize", CudaDriverException.class);
        failsAtRun(FOLDED, wantFolded, "cuCtxSetCurrent", CudaDriverException.class);
        failsAtRun(FOLDED, wantFolded, "cuMemcpyHtoDAsync_v2", CudaDriverException.class);
        // CUDA_ERROR_ILLEGAL_ADDRESS, as a copy reports a kernel that faulted before it
        failsAtRun(FOLDED, wantFolded, "cuMemcpyDtoHAsync_v2", 700, CudaDriverException.class);
    }

    @Test
    void aFusedCallCuDnnRefusesFallsBackToTheAddPathButOtherErrorsFail() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("conv-path", "fused"))) {
            Emu.fault("cudnnConvolutionBiasActivationForward", 1, 3000, false); // CUDNN_STATUS_NOT_SUPPORTED
            try (CudaExecutable e = cuda.compile(FOLDED, 2)) {
                String report = String.join("\n", e.planReport());
                assertTrue(report.contains("[fallback: cuDNN refused the fused call: cudnnConvolutionBiasActivationForward failed: "
                        + "CUDNN_STATUS_NOT_SUPPORTED (3000)"), report);
                assertTrue(report.contains("BiasActivationForward RELU"), "only the refused convolution falls back\n" + report);
                EmulatedGpu.assertAllClose(wantFolded, e.run(in), "after a fallback");
            }
            Emu.fault("cudnnConvolutionBiasActivationForward", 1, 4000, false); // INTERNAL_ERROR: a real failure
            var e = assertThrows(CudnnException.class, () -> cuda.compile(FOLDED, 2));
            assertEquals(CudnnStatus.Category.INTERNAL_ERROR, e.category());
            assertOneLineNaming(e, "cudnnConvolutionBiasActivationForward");
        }
        before.assertRestored();
    }

    @Test
    void aFailedCudaGraphCaptureRunsStepByStep() {
        var before = EmulatedGpu.Snapshot.take();
        // the exported symbols JCuda calls, and the names the backend reports
        for (String[] call : new String[][] {{"cuGraphInstantiateWithFlags", "cuGraphInstantiate failed"},
                {"cuStreamBeginCapture_v2", "cuStreamBeginCapture failed"}}) {
            try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", "true"))) {
                Emu.fault(call[0], 1, 0, false);
                try (CudaExecutable e = cuda.compile(FOLDED, 2)) {
                    assertFalse(e.usesCudaGraph());
                    String report = String.join("\n", e.planReport());
                    assertTrue(report.contains("cuda-graph=failed") && report.contains("cuda-graph: capture failed, running step by step: "
                            + call[1]), report);
                    EmulatedGpu.assertAllClose(wantFolded, e.run(in), "without the graph");
                }
            }
        }
        before.assertRestored();
    }

    @Test
    void failingModuleLoadsAndCompilationsLeaveNoBackendBehind() {
        var before = EmulatedGpu.Snapshot.take();
        Emu.fault("module", 1, 0, true);
        var load = assertThrows(CudaDriverException.class, () -> EmulatedGpu.cuda(Map.of()));
        assertOneLineNaming(load, "cuModuleLoadData(");
        before.assertRestored();
        Emu.clearFaults();

        Emu.fault("nvrtcCompileProgram", 1, 0, false);
        var compile = assertThrows(NvrtcException.class, () -> EmulatedGpu.cuda(Map.of()));
        assertOneLineNaming(compile, "nvrtcCompileProgram(");
        assertTrue(compile.getMessage().contains("NVRTC_ERROR_COMPILATION"), compile.getMessage());
        before.assertRestored();
    }

    @Test
    void failingFoldKernelAndFoldMemory() {
        var before = EmulatedGpu.Snapshot.take();
        var jobs = EmulatedFoldEngineTest.jobsOf(TestModels.convNet());
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of())) {
            CudaFoldEngine engine = cuda.foldEngine();
            var opened = LiveResources.snapshot();
            Emu.fault("kernel:fold_bn", 1, 0, false);
            assertOneLineNaming(assertThrows(CudaDriverException.class, () -> engine.fold(jobs)), "fold_bn");
            assertNothingOwned(cuda, opened, "failed fold kernel");
            Emu.clearFaults();
            assertEquals(jobs.size(), engine.fold(jobs).size(), "the engine works again");
        }
        try (CudaFoldEngine standalone = CudaFoldEngine.open(0)) {
            Emu.fault("cuMemAlloc_v2", 1, 0, true);
            var oom = assertThrows(DeviceOutOfMemoryException.class, () -> standalone.fold(jobs));
            assertOneLineNaming(oom, "BatchNorm folding inputs");
            Emu.clearFaults();
            Emu.fault("cuMemAllocHost_v2", 1, 0, false); // the upload's pinned staging buffer
            var pinned = assertThrows(DeviceOutOfMemoryException.class, () -> standalone.fold(jobs));
            assertOneLineNaming(pinned, "cuMemAllocHost");
        }
        before.assertRestored();
    }

    @Test
    void aFailingReleaseAtCloseStillReleasesEverythingElse() {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("cuda-graph", "true"))) {
            var opened = LiveResources.snapshot();
            CudaExecutable e = cuda.compile(FOLDED, 2);
            e.run(in);
            Emu.fault("cuStreamDestroy_v2", 1, 0, false);
            assertOneLineNaming(assertThrows(CudaDriverException.class, e::close), "cuStreamDestroy");
            assertNothingOwned(cuda, opened, "after the failed close");
            assertThrows(IllegalStateException.class, () -> e.run(in), "closed, although not cleanly");
        }
        // the stream the driver refused to destroy went with the primary context; nothing else was left over
        before.assertRestored();
    }

    /** The first call of {@code call} fails while compiling; nothing survives; the next compile works. */
    private static void failsAtCompile(Map<String, String> options, Graph g, String call, Class<? extends Throwable> type) {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(options)) {
            var opened = LiveResources.snapshot();
            Emu.fault(call, 1, 0, false);
            Throwable e = assertThrows(type, () -> cuda.compile(g, 2), call);
            assertOneLineNaming(e, call.startsWith("kernel:") ? call.substring(7) : call);
            assertNothingOwned(cuda, opened, call);
            assertRunsCorrectly(cuda, g, g == FOLDED ? wantFolded : wantSeparate, "after " + call + " failed");
        }
        before.assertRestored();
    }

    /** The first call of {@code call} in a forward pass fails; the executable works again afterwards. */
    private static void failsAtRun(Graph g, Map<String, Tensor> want, String call, Class<? extends Throwable> type) {
        failsAtRun(g, want, call, 0, type);
    }

    /** As above with an explicit status {@code code} (0: the emulator's natural failure of the call). */
    private static void failsAtRun(Graph g, Map<String, Tensor> want, String call, int code, Class<? extends Throwable> type) {
        var before = EmulatedGpu.Snapshot.take();
        try (CudaBackend cuda = EmulatedGpu.cuda(Map.of("conv-path", "add")); CudaExecutable e = cuda.compile(g, 2)) {
            Emu.fault(call, 1, code, false);
            assertOneLineNaming(assertThrows(type, () -> e.run(in), call), call.replace("_v2", ""));
            EmulatedGpu.assertAllClose(want, e.run(in), "the pass after " + call + " failed");
        }
        before.assertRestored();
    }

    private static void assertRunsCorrectly(CudaBackend cuda, Graph g, Map<String, Tensor> want, String what) {
        EmulatedGpu.assertAllClose(want, EmulatedGpu.runOnce(cuda, g, in, 2), what);
    }

    /**
     * Nothing of a failed call is still owned: no pool buffer handed out and every counted native resource
     * back to what the open backend had. (Freed device blocks stay in the pool's cache until the backend
     * closes; the test's final snapshot check proves they are returned then.)
     */
    private static void assertNothingOwned(CudaBackend cuda, Map<String, Long> opened, String what) {
        assertEquals(0, cuda.pool().liveBuffers(), what + ": device buffers still owned");
        assertEquals(opened, LiveResources.snapshot(), what + ": native resources still open");
    }

    private static long allocations() {
        return Emu.callCount("cuMemAlloc_v2") + Emu.callCount("cuMemAllocHost_v2");
    }

    private static void assertOneLine(Throwable e) {
        assertTrue(e.getMessage() != null && !e.getMessage().isBlank(), "no message: " + e);
        assertFalse(e.getMessage().contains("\n"), "more than one line: " + e.getMessage());
    }

    private static void assertOneLineNaming(Throwable e, String call) {
        assertOneLine(e);
        assertTrue(e.getMessage().contains(call), "the message does not name " + call + ": " + e.getMessage());
    }
}
