package io.foldrt.backend.cpu;

/**
 * Scratch memory of one worker of one executable, sized at compile time and reused by every step, so a
 * run allocates no per-node buffers. Each array starts at offset 0 and is separate, which is what lets
 * C2 vectorize loops over them (see {@link Sgemm}).
 */
final class Workspace {
    /** The GEMM inner loop of this executable's backend. */
    final MicroKernel kernel;
    /** B panels this worker packs: {@link Sgemm#KC} rows of {@link Sgemm#NR} columns. */
    final float[][] packRows;
    /** Row references into panels packed at compile time (never written through). */
    final float[][] rowView;
    /** GEMM accumulator rows of NR floats, MR per row panel of a task. */
    final float[][] acc;
    /** Two general row buffers (depthwise conv, pooling, epilogue slices). */
    final float[] rowA;
    final float[] rowB;
    /** A third row buffer, only where a step asks for one (pooling). */
    final float[] rowC;
    /** Winograd convolution: one tile block's transformed input, and its accumulator rows. */
    final float[] winoV;
    final float[][] winoAcc;

    private Workspace(Spec s, MicroKernel kernel) {
        this.kernel = kernel;
        boolean gemm = s.accPanels > 0;
        packRows = new float[gemm ? Sgemm.KC : 0][Sgemm.NR];
        rowView = new float[gemm ? Sgemm.KC : 0][];
        acc = new float[s.accPanels * Sgemm.MR][Sgemm.NR];
        rowA = new float[s.rowFloats];
        rowB = new float[s.rowFloats];
        rowC = new float[s.rowCFloats];
        winoV = new float[s.winoFloats];
        winoAcc = new float[s.winoRows][s.winoCols];
    }

    /** What the steps of one executable need per worker; steps raise it while they are built. */
    static final class Spec {
        private int accPanels;
        private int rowFloats = Sgemm.NR;
        private int rowCFloats;
        private int winoFloats, winoRows, winoCols;

        void needAccPanels(int panels) {
            accPanels = Math.max(accPanels, panels);
        }

        void needRow(int floats) {
            rowFloats = Math.max(rowFloats, floats);
        }

        void needRowC(int floats) {
            rowCFloats = Math.max(rowCFloats, floats);
        }

        void needWinograd(int floats, int rows, int cols) {
            winoFloats = Math.max(winoFloats, floats);
            winoRows = Math.max(winoRows, rows);
            winoCols = Math.max(winoCols, cols);
        }

        Workspace create(MicroKernel kernel) {
            return new Workspace(this, kernel);
        }

        long bytes() {
            long perWorker = (long) Sgemm.MR * Sgemm.NR * accPanels + 2L * rowFloats + rowCFloats;
            if (accPanels > 0) perWorker += (long) Sgemm.KC * Sgemm.NR;
            perWorker += winoFloats + (long) winoRows * winoCols;
            return 4 * perWorker;
        }
    }
}
