package io.foldrt.plan;

import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import java.util.Optional;

/** The C operand of a Gemm as a per-output-column bias, when it is one. */
final class GemmBias {
    private GemmBias() {}

    /** Refuses a C that is not constant or varies by row: a folded bias is one value per output column. */
    static Optional<String> refusal(GraphIndex g, Node gemm, int n) {
        String c = gemm.input(2);
        if (c.isEmpty()) return Optional.empty();
        if (!g.isConstant(c)) return Optional.of("Gemm C '" + c + "' of " + GraphIndex.describe(gemm) + " is not a constant");
        int[] s = g.constant(c).shape();
        boolean perColumn = switch (s.length) {
            case 0 -> true;
            case 1 -> s[0] == 1 || s[0] == n;
            case 2 -> s[0] == 1 && (s[1] == 1 || s[1] == n);
            default -> false;
        };
        return perColumn ? Optional.empty() : Optional.of("Gemm C '" + c + "' " + Shapes.str(s) + " of "
                + GraphIndex.describe(gemm) + " varies by row; only a per-output-channel C folds");
    }

    /** beta·C spread to {@code n} columns in float64 (zeros when the Gemm has no C); call after {@link #refusal}. */
    static double[] perColumn(GraphIndex g, Node gemm, int n) {
        double[] b = new double[n];
        if (gemm.input(2).isEmpty()) return b;
        double beta = ((Op.Gemm) gemm.op()).beta();
        float[] c = g.constant(gemm.input(2)).data();
        for (int j = 0; j < n; j++) b[j] = beta * c[c.length == 1 ? 0 : j];
        return b;
    }
}
