package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;
import io.foldrt.ir.Op;

/**
 * ONNX Gemm: {@code act(alpha * op(A) x op(B) + beta * C)}. The usual Linear layer has a constant B, which
 * is transposed and packed into column blocks at compile time, and a constant C, which is scaled and
 * broadcast once into the epilogue's addend. Run-time operands are packed (or gathered) per run instead;
 * a run-time C is added in a second pass. Tasks split output columns, then rows. One row of run-time A
 * against a constant B (a Linear layer at batch 1) runs as {@link VectorGemv} with the vector kernel.
 */
final class GemmStep implements Step {
    private final int a, b, c, y, packedTemp;  // c and packedTemp are -1 when absent
    private final int m, n, k;
    private final int aRowStride, aColStride;
    private final PackedA constA;               // null when A is a run-time value
    private final BSource bSource;
    private final boolean bPrepacked;
    private final Epilogue epilogue;
    private final int[] cShape, yShape;
    private final float beta;
    private final boolean cAtRun;               // C is a run-time value: added after the GEMM
    private final Activation postAct;
    private final int colBlocks, panels, splits;
    private final VectorGemv gemv;              // one run-time row x constant B, vector kernel; else null

    /**
     * {@code constA}, {@code constB} and {@code constC} hold an operand's data when it is a constant, else null;
     * {@code packedTemp} is a temporary of {@code PackedA.size(m, k)} floats when A is not constant, else -1.
     */
    GemmStep(Op.Gemm op, int a, int b, int c, int y, int packedTemp, int[] as, int[] bs, int[] cs, int[] ys,
             float[] constA, float[] constB, float[] constC, Activation act, int threads, Workspace.Spec spec,
             MicroKernel kernel) {
        this.a = a;
        this.b = b;
        this.c = c;
        this.y = y;
        this.packedTemp = packedTemp;
        this.m = ys[0];
        this.n = ys[1];
        this.k = op.transA() ? as[0] : as[1];
        this.aRowStride = op.transA() ? 1 : k;   // element (i, p) of op(A)
        this.aColStride = op.transA() ? m : 1;
        this.constA = constA == null ? null : PackedA.of(constA, 0, aRowStride, aColStride, m, k);
        int bRowStride = op.transB() ? 1 : n;    // element (p, j) of op(B)
        int bColStride = op.transB() ? k : 1;
        this.bPrepacked = constB != null;
        this.gemv = m == 1 && constA == null && bPrepacked && kernel.usesVectorApi()
                ? new VectorGemv(constB, bRowStride, bColStride, k, n) : null;
        this.bSource = gemv != null ? null : bPrepacked ? new PrepackedB(constB, 0, bRowStride, bColStride, k, n)
                : new MatrixB(bRowStride, bColStride);
        this.cShape = cs;
        this.yShape = ys;
        this.beta = op.beta();
        this.cAtRun = c >= 0 && constC == null && op.beta() != 0f;
        float[] addend = null;
        if (constC != null && op.beta() != 0f) {
            addend = Broadcast.expand(constC, cs, ys);
            for (int i = 0; i < addend.length; i++) addend[i] *= op.beta();
        }
        this.epilogue = new Epilogue.Scaled(op.alpha(), addend, n, cAtRun ? Activation.NONE : act);
        this.postAct = cAtRun ? act : Activation.NONE;
        colBlocks = (n + Sgemm.NR - 1) / Sgemm.NR;
        panels = PackedA.panels(m);
        splits = Chunks.panelSplits(colBlocks, panels, threads, Math.min(n, Sgemm.NR));
        spec.needAccPanels(Chunks.panelsPerSplit(panels, splits));
    }

    @Override
    public void run(Frame f) {
        if (gemv != null) {
            runGemv(f);
        } else {
            runGemm(f);
        }
        if (cAtRun) {
            Broadcast.accumulate(f.get(y), yShape, f.get(c), cShape, beta);
            ActivationLoops.apply(postAct, f.get(y), 0, f.get(y).length);
        }
    }

    private void runGemv(Frame f) {
        float[] x = f.get(a), out = f.get(y);
        f.pool().parallelFor(gemv.blocks(), (blk, worker) -> {
            Workspace ws = f.workspaces()[worker];
            gemv.block(x, 0, blk, ws.rowB); // the epilogue may use rowA
            int j0 = blk * VectorGemv.BLOCK;
            epilogue.finish(ws.rowB, 0, j0, Math.min(VectorGemv.BLOCK, n - j0), out, null, 0, n, ws);
        });
    }

    private void runGemm(Frame f) {
        PackedA packed = constA;
        if (packed == null) {
            float[] buf = f.get(packedTemp);
            PackedA.pack(f.get(a), 0, aRowStride, aColStride, m, k, buf, 0);
            packed = new PackedA(buf, 0, m, k);
        }
        PackedA left = packed;
        float[] right = bPrepacked ? null : f.get(b), out = f.get(y);
        f.pool().parallelFor(colBlocks * splits, (t, worker) -> {
            int split = t % splits, cb = t / splits;
            int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
            int j0 = cb * Sgemm.NR;
            Sgemm.tile(left, p0, p1, bSource, right, 0, j0, Math.min(Sgemm.NR, n - j0), epilogue, out, null, 0, n,
                    f.workspaces()[worker]);
        });
    }

    @Override
    public int[] reads() {
        return java.util.stream.IntStream.of(constA == null ? a : -1, bPrepacked ? -1 : b, cAtRun ? c : -1)
                .filter(id -> id >= 0).toArray();
    }

    @Override
    public int[] writes() {
        return packedTemp >= 0 ? new int[] {y, packedTemp} : new int[] {y};
    }
}
