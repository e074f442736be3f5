package io.foldrt.backend.cuda;

import io.foldrt.backend.cuda.dnn.CublasHandle;
import io.foldrt.backend.cuda.geometry.GemmMapping;
import java.lang.foreign.MemorySegment;

/**
 * One row-major GEMM Y = alpha * op(A) * op(B) + beta * Y through cublasSgemm_v2, with the operands
 * swapped as {@link GemmMapping} explains.
 */
final class SgemmStep implements Step {
    private final String node;
    private final CublasHandle handle;
    private final GemmMapping g;
    private final MemorySegment alpha, beta, a, b, y;

    /** @param alpha,beta host floats (owned by the executable's arena) */
    SgemmStep(String node, CublasHandle handle, GemmMapping g, MemorySegment alpha, MemorySegment beta, long a, long b, long y) {
        this.node = node;
        this.handle = handle;
        this.g = g;
        this.alpha = alpha;
        this.beta = beta;
        this.a = MemorySegment.ofAddress(a);
        this.b = MemorySegment.ofAddress(b);
        this.y = MemorySegment.ofAddress(y);
    }

    @Override
    public String node() {
        return node;
    }

    @Override
    public void enqueue() {
        // cuBLAS's first operand is our B and its second our A: column-major Y^T = op(B)^T op(A)^T
        handle.cublas().sgemm(handle.segment(), g.transa(), g.transb(), g.m(), g.n(), g.k(), alpha, b, g.lda(), a,
                g.ldb(), beta, y, g.ldc());
    }

    @Override
    public String describe() {
        return "cublasSgemm_v2 m=" + g.m() + " n=" + g.n() + " k=" + g.k();
    }
}
