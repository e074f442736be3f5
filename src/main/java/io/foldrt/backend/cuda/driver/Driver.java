package io.foldrt.backend.cuda.driver;

import io.foldrt.backend.BackendUnavailableException;
import io.foldrt.nativebind.CudaDriverException;
import io.foldrt.nativebind.LibCuda;
import jcuda.driver.CUresult;
import jcuda.driver.JCudaDriver;

/**
 * Start-up of the driver API and the status check for JCuda calls. JCuda's exceptions stay disabled (its
 * default): every call's CUresult is checked here, so errors carry the call name.
 */
public final class Driver {
    private static boolean initialized;

    private Driver() {}

    /** Throws {@link CudaDriverException} (or {@link DeviceOutOfMemoryException} for code 2) unless rc is 0. */
    public static void check(int rc, String call) {
        if (rc == CUresult.CUDA_SUCCESS) return;
        if (rc == CUresult.CUDA_ERROR_OUT_OF_MEMORY) {
            throw new DeviceOutOfMemoryException(call + " failed: out of device memory", -1);
        }
        throw new CudaDriverException(call, rc);
    }

    /**
     * Loads libcuda.so.1 (through java.lang.foreign first, so that its absence is a clean one-line message
     * rather than JCuda's two stack traces), then JCuda's native library, then calls cuInit.
     *
     * @throws BackendUnavailableException with a one-line reason
     */
    public static synchronized void init() {
        if (initialized) return;
        LibCuda.load();
        int rc;
        try {
            rc = JCudaDriver.cuInit(0);
        } catch (LinkageError e) {
            throw new BackendUnavailableException("JCuda's native driver library could not be loaded: "
                    + firstLine(e.getMessage()), e);
        }
        if (rc == CUresult.CUDA_ERROR_NO_DEVICE) {
            throw new BackendUnavailableException("no CUDA device: cuInit returned CUDA_ERROR_NO_DEVICE");
        }
        if (rc != CUresult.CUDA_SUCCESS) {
            throw new BackendUnavailableException("the CUDA driver did not start: cuInit returned "
                    + CUresult.stringFor(rc) + " (" + rc + ")");
        }
        initialized = true;
    }

    static String firstLine(String s) {
        if (s == null) return "(no message)";
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }
}
