package io.foldrt.backend.cuda.driver;

import jcuda.driver.CUevent;

/** A {@link CUevent} exposing its raw handle, for the FFM call of cuEventElapsedTime_v2. */
final class RawEvent extends CUevent {
    long handle() {
        return getNativePointer();
    }
}
