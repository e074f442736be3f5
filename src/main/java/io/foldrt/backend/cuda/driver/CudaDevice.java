package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;

import io.foldrt.backend.BackendUnavailableException;
import java.nio.charset.StandardCharsets;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;

/**
 * One GPU and its primary context. The driver's current context is per thread, so every public entry point
 * of the backend calls {@link #makeCurrent()} before touching the device; forgetting it on a thread that
 * did not open the device is the classic error this class exists to prevent. Thread-safe.
 */
public final class CudaDevice implements AutoCloseable {
    private final int ordinal;
    private final CUdevice device;
    private final CUcontext context;
    private final String name;
    private final int ccMajor, ccMinor, driverVersion;
    private final long totalMemory;
    private boolean closed;

    private CudaDevice(int ordinal, CUdevice device, CUcontext context, String name, int ccMajor, int ccMinor,
                       int driverVersion, long totalMemory) {
        this.ordinal = ordinal;
        this.device = device;
        this.context = context;
        this.name = name;
        this.ccMajor = ccMajor;
        this.ccMinor = ccMinor;
        this.driverVersion = driverVersion;
        this.totalMemory = totalMemory;
    }

    /**
     * How many CUDA devices the driver sees.
     *
     * @throws BackendUnavailableException without a usable driver
     */
    public static int count() {
        Driver.init();
        int[] count = new int[1];
        Driver.check(cuDeviceGetCount(count), "cuDeviceGetCount");
        return count[0];
    }

    /**
     * Opens device {@code ordinal}, retains its primary context and makes it current on this thread.
     *
     * @throws BackendUnavailableException without a driver, a device, or that ordinal
     */
    public static CudaDevice open(int ordinal) {
        Driver.init();
        int[] count = new int[1];
        Driver.check(cuDeviceGetCount(count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count[0]) {
            throw new BackendUnavailableException("no CUDA device " + ordinal + ": " + count[0] + " present");
        }
        CUdevice dev = new CUdevice();
        Driver.check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
        byte[] nameBytes = new byte[256];
        Driver.check(cuDeviceGetName(nameBytes, nameBytes.length, dev), "cuDeviceGetName");
        int[] v = new int[1];
        Driver.check(cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev),
                "cuDeviceGetAttribute");
        int major = v[0];
        Driver.check(cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev),
                "cuDeviceGetAttribute");
        int minor = v[0];
        Driver.check(cuDriverGetVersion(v), "cuDriverGetVersion");
        int driver = v[0];
        long[] mem = new long[1];
        Driver.check(cuDeviceTotalMem(mem, dev), "cuDeviceTotalMem");
        CUcontext ctx = new CUcontext();
        Driver.check(cuDevicePrimaryCtxRetain(ctx, dev), "cuDevicePrimaryCtxRetain");
        CudaDevice d = new CudaDevice(ordinal, dev, ctx, cString(nameBytes), major, minor, driver, mem[0]);
        LiveResources.opened("cuda-primary-context");
        try {
            d.makeCurrent();
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
        return d;
    }

    /** Binds the primary context to the calling thread; cheap, so called at every entry point. */
    public void makeCurrent() {
        Driver.check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    public int ordinal() {
        return ordinal;
    }

    public String name() {
        return name;
    }

    public int computeCapabilityMajor() {
        return ccMajor;
    }

    public int computeCapabilityMinor() {
        return ccMinor;
    }

    /** E.g. 13000 for a driver that supports CUDA 13.0. */
    public int driverVersion() {
        return driverVersion;
    }

    public long totalMemory() {
        return totalMemory;
    }

    /** {free, total} bytes as the driver sees them now (the context must be current). */
    public long[] memoryInfo() {
        long[] free = new long[1], total = new long[1];
        Driver.check(cuMemGetInfo(free, total), "cuMemGetInfo");
        return new long[] {free[0], total[0]};
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cuda-primary-context");
        Driver.check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
    }

    @Override
    public String toString() {
        return "cuda:" + ordinal + " " + name + " (sm_" + ccMajor + ccMinor + ", driver " + driverVersion / 1000 + "."
                + (driverVersion % 1000) / 10 + ")";
    }

    private static String cString(byte[] b) {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        return new String(b, 0, n, StandardCharsets.UTF_8);
    }
}
