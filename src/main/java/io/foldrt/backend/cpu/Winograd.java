package io.foldrt.backend.cpu;

import io.foldrt.ir.Activation;

/**
 * Winograd's minimal filtering F(2x2, 3x3) for 3x3 stride-1 convolutions (Lavin and Gray, "Fast Algorithms
 * for Convolutional Neural Networks", 2016): each 2x2 block of outputs is computed from a 4x4 input patch as
 * {@code A^T [(G g G^T) . (B^T d B)] A}, 16 multiplications per channel pair where the direct form needs 36.
 * Summed over input channels, the element-wise products become 16 independent GEMMs (one per position of the
 * 4x4 transformed tile), so a conv costs 2.25x fewer multiply-adds plus two cheap transforms.
 *
 * <p>This class holds the rule for where the backend uses it (no Vector API here, so that the loop kernel's
 * backend never loads a vector class) and the weight transform, done once at compile time in float64.
 * {@link WinogradConvStep} runs it.
 */
final class Winograd {
    /** Positions of a transformed 4x4 tile: the number of GEMMs per conv. */
    static final int POSITIONS = 16;
    /**
     * Fewest 2x2 output tiles per image for which the step is used: one full column block of the vector
     * kernel (3 vectors). On smaller maps (ResNet's 7x7 stage: 16 tiles) the GEMMs are too narrow and the
     * transformed weights, 16/9 of the originals, are the larger cost: those layers stream their weights.
     */
    static final int MIN_TILES = 48;
    /** Fewest input and output channels: below, the transforms cost more than the multiplications saved. */
    static final int MIN_CHANNELS = 16;

    private Winograd() {}

    /**
     * Whether a conv runs as F(2x2, 3x3): the vector kernel, one group, a 3x3 kernel with stride and dilation
     * 1 (any padding), enough channels and output tiles, and an activation that is a clamp.
     */
    static boolean applies(MicroKernel kernel, int groups, int cin, int cout, ConvGeometry g, Activation act) {
        boolean shape = g.kh() == 3 && g.kw() == 3 && g.sh() == 1 && g.sw() == 1 && g.dh() == 1 && g.dw() == 1;
        return kernel.usesVectorApi() && groups == 1 && shape && ActivationLoops.ordered(act) && cin >= MIN_CHANNELS
                && cout >= MIN_CHANNELS && tiles(g.oh()) * tiles(g.ow()) >= MIN_TILES;
    }

    /** 2x2 tiles along an output side of {@code n} (the last one half outside when n is odd). */
    static int tiles(int n) {
        return (n + 1) / 2;
    }

    /**
     * The transformed weights {@code U = G g G^T}: for each of the 16 positions, the cout x cin matrix of that
     * position packed as the GEMM's A operand. {@code w} is [cout, cin, 3, 3].
     */
    static PackedA[] transformWeights(float[] w, int cout, int cin) {
        // G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]]
        double[][] gm = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
        float[][] u = new float[POSITIONS][cout * cin];
        double[] gk = new double[12]; // G g, 4 x 3
        for (int m = 0; m < cout; m++) {
            for (int c = 0; c < cin; c++) {
                int base = (m * cin + c) * 9;
                for (int i = 0; i < 4; i++) {
                    for (int b = 0; b < 3; b++) {
                        double s = 0;
                        for (int a = 0; a < 3; a++) s += gm[i][a] * w[base + a * 3 + b];
                        gk[i * 3 + b] = s;
                    }
                }
                for (int i = 0; i < 4; i++) {
                    for (int j = 0; j < 4; j++) {
                        double s = 0;
                        for (int b = 0; b < 3; b++) s += gk[i * 3 + b] * gm[j][b];
                        u[i * 4 + j][m * cin + c] = (float) s;
                    }
                }
            }
        }
        PackedA[] packed = new PackedA[POSITIONS];
        for (int p = 0; p < POSITIONS; p++) packed[p] = PackedA.of(u[p], 0, cin, 1, cout, cin);
        return packed;
    }
}
