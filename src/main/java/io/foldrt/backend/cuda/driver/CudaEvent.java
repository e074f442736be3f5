package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import io.foldrt.nativebind.LibCuda;
import jcuda.driver.CUevent_flags;

/**
 * An owned timing event. Elapsed time is read through {@link LibCuda} (cuEventElapsedTime_v2 when the driver
 * has it), never through JCuda's binding of the old-ABI symbol.
 */
public final class CudaEvent implements AutoCloseable {
    private final RawEvent event;
    private boolean closed;

    private CudaEvent(RawEvent event) {
        this.event = event;
    }

    public static CudaEvent create() {
        RawEvent e = new RawEvent();
        Driver.check(cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT), "cuEventCreate");
        LiveResources.opened("cuda-event");
        return new CudaEvent(e);
    }

    public void record(CudaStream stream) {
        Driver.check(cuEventRecord(event, stream.jcuda()), "cuEventRecord");
    }

    public void synchronize() {
        Driver.check(cuEventSynchronize(event), "cuEventSynchronize");
    }

    /** Milliseconds from {@code start} to {@code end}; both must have been recorded and have completed. */
    public static double elapsedMillis(CudaEvent start, CudaEvent end) {
        return LibCuda.load().eventElapsedTime(start.event.handle(), end.event.handle());
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cuda-event");
        Driver.check(cuEventDestroy(event), "cuEventDestroy");
    }
}
