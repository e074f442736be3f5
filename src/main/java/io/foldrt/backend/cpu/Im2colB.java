package io.foldrt.backend.cpu;

/**
 * The im2col matrix of a convolution as GEMM B operand, built block by block straight from the NCHW input:
 * row k is input channel {@code k / (kh*kw)} at kernel tap {@code (k / kw) % kh, k % kw}, column j is
 * output pixel j. Only the block being multiplied exists at any time, in the worker's pack rows.
 */
record Im2colB(ConvGeometry g) implements BSource {

    @Override
    public float[][] panel(float[] src, int srcOff, int k0, int kc, int j0, int nc, Workspace ws) {
        float[][] rows = ws.packRows;
        int taps = g.kh() * g.kw(), plane = g.h() * g.w(), ow = g.ow();
        for (int i = 0; i < kc; i++) {
            int k = k0 + i, ci = k / taps, ky = (k / g.kw()) % g.kh(), kx = k % g.kw();
            int chanBase = srcOff + ci * plane;
            float[] dst = rows[i];
            int oy = j0 / ow, ox = j0 % ow;
            for (int d = 0; d < nc; ) {
                int seg = Math.min(ow - ox, nc - d); // pixels left in this output row
                int iy = oy * g.sh() - g.pt() + ky * g.dh();
                if (iy < 0 || iy >= g.h()) {
                    java.util.Arrays.fill(dst, d, d + seg, 0f);
                } else {
                    int ix0 = ox * g.sw() - g.pl() + kx * g.dw();
                    ConvGeometry.gatherRow(src, chanBase + iy * g.w(), g.w(), ix0, g.sw(), dst, d, seg, 0f);
                }
                d += seg;
                ox = 0;
                oy++;
            }
        }
        return rows;
    }
}
