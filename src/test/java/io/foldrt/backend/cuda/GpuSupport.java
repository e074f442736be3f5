package io.foldrt.backend.cuda;

import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Helpers of the gpu-tagged tests: open-or-skip, and a tolerance comparison that reports the worst element. */
final class GpuSupport {
    /** |got - want| <= ATOL + RTOL * |want|: float32 with FMA-only cuDNN/cuBLAS math (tf32 off) against float64. */
    static final double ATOL = 1e-3, RTOL = 1e-3;

    private GpuSupport() {}

    static CudaBackend openOrSkip(Map<String, String> options) {
        try {
            return (CudaBackend) new CudaBackendProvider().open(0, options);
        } catch (BackendUnavailableException e) {
            System.out.println("skipped: " + e.getMessage());
            Assumptions.abort("skipped: " + e.getMessage());
            throw e; // not reached
        }
    }

    static CudaFoldEngine foldEngineOrSkip() {
        try {
            return CudaFoldEngine.open(0);
        } catch (BackendUnavailableException e) {
            System.out.println("skipped: " + e.getMessage());
            Assumptions.abort("skipped: " + e.getMessage());
            throw e;
        }
    }

    static void assertClose(ReferenceInterpreter.DTensor want, Tensor got, String what) {
        Assertions.assertArrayEquals(want.shape(), got.shape(), what + " shape");
        compare(want.data(), got.data(), what);
    }

    static void assertClose(Tensor want, Tensor got, String what) {
        Assertions.assertArrayEquals(want.shape(), got.shape(), what + " shape");
        double[] w = new double[want.size()];
        for (int i = 0; i < w.length; i++) w[i] = want.data()[i];
        compare(w, got.data(), what);
    }

    private static void compare(double[] want, float[] got, String what) {
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]), allowed = ATOL + RTOL * Math.abs(want[i]);
            if (!(err <= allowed) && (worst < 0 || err - allowed > worstExcess)) {
                worst = i;
                worstExcess = err - allowed;
            }
        }
        if (worst >= 0) {
            Assertions.fail(what + ": element " + worst + " is " + got[worst] + ", expected " + want[worst]
                    + " (tolerance " + ATOL + " + " + RTOL + "*|x|)");
        }
    }
}
