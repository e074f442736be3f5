package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuLaunchKernel;

import jcuda.Pointer;
import jcuda.driver.CUfunction;

/**
 * One prepared kernel launch: function, 1-D grid and block, argument block. {@link #enqueue} only queues
 * work on the stream; it never waits for the device.
 */
public final class KernelLaunch {
    /** Threads per block of the element-wise kernels. */
    public static final int BLOCK = 256;
    /** Cap on blocks of a grid-stride kernel: enough to fill any current GPU. */
    static final int MAX_GRID = 1 << 16;

    private final String kernel;
    private final CUfunction function;
    private final int gridX, blockX;
    private final KernelArgs args;
    private final Pointer params;

    public KernelLaunch(String kernel, CUfunction function, int gridX, int blockX, KernelArgs args) {
        if (gridX <= 0 || blockX <= 0) throw new IllegalArgumentException(kernel + ": empty launch " + gridX + "x" + blockX);
        this.kernel = kernel;
        this.function = function;
        this.gridX = gridX;
        this.blockX = blockX;
        this.args = args;
        this.params = args.kernelParams();
    }

    /** Blocks for a grid-stride loop over {@code n} elements with {@code block} threads each (at least 1). */
    public static int gridFor(long n, int block) {
        long blocks = (n + block - 1) / block;
        return (int) Math.max(1, Math.min(blocks, MAX_GRID));
    }

    public void enqueue(CudaStream stream) {
        Driver.check(cuLaunchKernel(function, gridX, 1, 1, blockX, 1, 1, 0, stream.jcuda(), params, null),
                "cuLaunchKernel(" + kernel + ")");
    }

    public String kernel() {
        return kernel;
    }

    public int gridX() {
        return gridX;
    }

    public int blockX() {
        return blockX;
    }

    KernelArgs args() {
        return args;
    }
}
