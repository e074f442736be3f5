package io.foldrt.emu;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUevent;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * JCuda 12.6.0's JNI library, unchanged, bound to the emulated libcuda.so.1 through LD_LIBRARY_PATH: the path the
 * CUDA backend takes. Proves the emulator exports what JCuda resolves lazily at each first call.
 */
@Tag("emulated")
class EmulatedJCudaTest {
    @Test
    void jcudaRunsOnTheEmulatedDriver() throws Exception {
        JCudaDriver.setExceptionsEnabled(false);
        assertEquals(0, cuInit(0));
        CUdevice dev = new CUdevice();
        assertEquals(0, cuDeviceGet(dev, 0));
        byte[] name = new byte[128];
        assertEquals(0, cuDeviceGetName(name, name.length, dev));
        assertTrue(new String(name, StandardCharsets.US_ASCII).contains("FoldRT emulator"), "JCuda bound the emulated libcuda.so.1");
        CUcontext ctx = new CUcontext();
        assertEquals(0, cuDevicePrimaryCtxRetain(ctx, dev));
        assertEquals(0, cuCtxSetCurrent(ctx));
        int before = Emu.liveAllocations();

        // a worker thread that forgot cuCtxSetCurrent
        AtomicInteger rc = new AtomicInteger(-1);
        Thread t = new Thread(() -> rc.set(cuMemAlloc(new CUdeviceptr(), 64)));
        t.start();
        t.join();
        assertEquals(201, rc.get(), "CUDA_ERROR_INVALID_CONTEXT");

        int n = 300;
        float[] x = new float[n], y = new float[n];
        for (int i = 0; i < n; i++) { x[i] = i; y[i] = 1; }
        CUdeviceptr dx = new CUdeviceptr(), dy = new CUdeviceptr();
        assertEquals(0, cuMemAlloc(dx, 4L * n));
        assertEquals(0, cuMemAlloc(dy, 4L * n));
        assertEquals(before + 2, Emu.liveAllocations(), "JCuda's allocations are in the registry");
        assertEquals(0, cuMemcpyHtoD(dx, Pointer.to(x), 4L * n));
        assertEquals(0, cuMemcpyHtoD(dy, Pointer.to(y), 4L * n));
        CUmodule module = new CUmodule();
        assertEquals(0, cuModuleLoadData(module, EmulatedDriverTest.SAMPLE_PTX));
        CUfunction saxpy = new CUfunction();
        assertEquals(0, cuModuleGetFunction(saxpy, module, "emu_saxpy"));
        CUstream stream = new CUstream();
        assertEquals(0, cuStreamCreate(stream, 0));
        CUevent start = new CUevent(), stop = new CUevent();
        assertEquals(0, cuEventCreate(start, 0));
        assertEquals(0, cuEventCreate(stop, 0));
        assertEquals(0, cuEventRecord(start, stream));
        Pointer params = Pointer.to(Pointer.to(new int[] {n}), Pointer.to(new float[] {2f}), Pointer.to(dx), Pointer.to(dy));
        assertEquals(0, cuLaunchKernel(saxpy, (n + 127) / 128, 1, 1, 128, 1, 1, 0, stream, params, null));
        assertEquals(0, cuEventRecord(stop, stream));
        assertEquals(0, cuStreamSynchronize(stream));
        float[] ms = new float[1];
        assertEquals(0, cuEventElapsedTime(ms, start, stop), "JCuda calls the old-ABI cuEventElapsedTime");
        assertTrue(ms[0] >= 0f);
        float[] out = new float[n];
        assertEquals(0, cuMemcpyDtoH(Pointer.to(out), dy, 4L * n));
        for (int i = 0; i < n; i++) assertEquals(2f * i + 1, out[i]);
        assertEquals(0, cuEventDestroy(start));
        assertEquals(0, cuEventDestroy(stop));
        assertEquals(0, cuStreamDestroy(stream));
        assertEquals(0, cuModuleUnload(module));
        assertEquals(0, cuMemFree(dx));
        assertEquals(0, cuMemFree(dy));
        assertEquals(1, cuMemFree(dy), "double free through JCuda is reported");
        assertEquals(before, Emu.liveAllocations());
        assertEquals(0, cuDevicePrimaryCtxRelease(dev));
    }
}
