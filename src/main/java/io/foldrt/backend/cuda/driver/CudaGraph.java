package io.foldrt.backend.cuda.driver;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

/**
 * An instantiated CUDA graph captured from a stream: the whole forward pass replayed with one launch, which
 * removes the per-kernel launch cost that dominates small batches.
 */
public final class CudaGraph implements AutoCloseable {
    private final CUgraphExec exec;
    private boolean closed;

    private CudaGraph(CUgraphExec exec) {
        this.exec = exec;
        LiveResources.opened("cuda-graph");
    }

    /**
     * Records what {@code work} queues on {@code stream} (thread-local capture mode: other threads' CUDA
     * calls are unaffected) and instantiates it. If {@code work} or the capture fails, the capture is ended,
     * the partial graph destroyed, and the error rethrown.
     */
    public static CudaGraph capture(CudaStream stream, Runnable work) {
        Driver.check(cuStreamBeginCapture(stream.jcuda(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL),
                "cuStreamBeginCapture");
        CUgraph graph = new CUgraph();
        RuntimeException failure = null;
        try {
            work.run();
        } catch (RuntimeException e) {
            failure = e;
        }
        int rc = cuStreamEndCapture(stream.jcuda(), graph);
        if (failure != null) {
            if (rc == 0) cuGraphDestroy(graph);
            throw failure;
        }
        Driver.check(rc, "cuStreamEndCapture");
        try {
            CUgraphExec exec = new CUgraphExec();
            Driver.check(cuGraphInstantiate(exec, graph, 0), "cuGraphInstantiate");
            return new CudaGraph(exec);
        } finally {
            cuGraphDestroy(graph);
        }
    }

    public void launch(CudaStream stream) {
        Driver.check(cuGraphLaunch(exec, stream.jcuda()), "cuGraphLaunch");
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        LiveResources.closed("cuda-graph");
        Driver.check(cuGraphExecDestroy(exec), "cuGraphExecDestroy");
    }
}
