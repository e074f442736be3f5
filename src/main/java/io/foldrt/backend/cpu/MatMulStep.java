package io.foldrt.backend.cpu;

import io.foldrt.ir.Shapes;
import java.util.Arrays;

/**
 * numpy matmul of [..., M, K] x [..., K, N] with broadcast leading dims. The left matrices are packed per run
 * into a planned temporary (each distinct one once); a constant 2-D right operand is packed at compile
 * time. Tasks cover (output matrix, column block, row-panel split).
 */
final class MatMulStep implements Step {
    private final int a, b, y, packedTemp;
    private final int m, n, k, batches, aMatrices;
    private final int[] aIndex, bIndex;  // per output matrix: which A / B matrix it multiplies
    private final BSource bSource;
    private final boolean bConstant;
    private final int colBlocks, panels, splits;

    MatMulStep(int a, int b, int y, int packedTemp, int[] as, int[] bs, int[] ys, float[] constB, int threads,
               Workspace.Spec spec) {
        this.a = a;
        this.b = b;
        this.y = y;
        this.packedTemp = packedTemp;
        int r = ys.length;
        this.m = ys[r - 2];
        this.n = ys[r - 1];
        this.k = as[as.length - 1];
        int[] lead = Arrays.copyOf(ys, r - 2);
        this.batches = (int) Shapes.elementCount(lead);
        this.aMatrices = (int) Shapes.elementCount(Arrays.copyOf(as, as.length - 2));
        this.aIndex = matrixIndex(lead, Arrays.copyOf(as, as.length - 2));
        this.bIndex = matrixIndex(lead, Arrays.copyOf(bs, bs.length - 2));
        this.bConstant = constB != null && bs.length == 2;
        this.bSource = bConstant ? new PrepackedB(constB, 0, n, 1, k, n) : new MatrixB(n, 1);
        colBlocks = (n + Sgemm.NR - 1) / Sgemm.NR;
        panels = PackedA.panels(m);
        splits = Chunks.panelSplits(batches * colBlocks, panels, threads, Math.min(n, Sgemm.NR));
        spec.needAccPanels(Chunks.panelsPerSplit(panels, splits));
    }

    /** Floats of the temporary that holds every packed left matrix. */
    static int packedSize(int[] as) {
        long count = Shapes.elementCount(Arrays.copyOf(as, as.length - 2));
        return Math.toIntExact(count * PackedA.size(as[as.length - 2], as[as.length - 1]));
    }

    /** For each output matrix (row-major over {@code lead}), the index of the operand matrix it reads. */
    private static int[] matrixIndex(int[] lead, int[] operandLead) {
        return Broadcast.offsets(operandLead, lead);
    }

    @Override
    public void run(Frame f) {
        float[] left = f.get(a), right = bConstant ? null : f.get(b), out = f.get(y), packed = f.get(packedTemp);
        int aSize = PackedA.size(m, k);
        f.pool().parallelFor(aMatrices, (i, worker) ->
                PackedA.pack(left, i * m * k, k, 1, m, k, packed, i * aSize));
        f.pool().parallelFor(batches * colBlocks * splits, (t, worker) -> {
            int split = t % splits, rest = t / splits;
            int cb = rest % colBlocks, bi = rest / colBlocks;
            int p0 = Chunks.start(split, splits, panels), p1 = Chunks.start(split + 1, splits, panels);
            int j0 = cb * Sgemm.NR;
            PackedA lhs = new PackedA(packed, aIndex[bi] * aSize, m, k);
            Sgemm.tile(lhs, p0, p1, bSource, right, bConstant ? 0 : bIndex[bi] * k * n, j0,
                    Math.min(Sgemm.NR, n - j0), Epilogue.PLAIN, out, null, bi * m * n, n, f.workspaces()[worker]);
        });
    }

    @Override
    public int[] reads() {
        return bConstant ? new int[] {a} : new int[] {a, b};
    }

    @Override
    public int[] writes() {
        return new int[] {y, packedTemp};
    }
}
