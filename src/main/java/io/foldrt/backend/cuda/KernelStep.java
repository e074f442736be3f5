package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.driver.CudaStream;
import io.foldrt.backend.cuda.driver.KernelLaunch;

/** One launch of a project kernel. */
record KernelStep(String node, KernelLaunch launch, CudaStream stream, String what) implements Step {
    @Override
    public void enqueue() {
        launch.enqueue(stream);
    }

    @Override
    public String describe() {
        return "kernel " + launch.kernel() + " (" + what + ", grid " + launch.gridX() + "x" + launch.blockX() + ")";
    }
}
