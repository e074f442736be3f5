package io.foldrt.plan;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Measures what one rewrite does to the numbers: runs the original nodes and their replacement through the
 * float64 {@link ReferenceInterpreter} on the same seeded random input and compares the outputs. Batch 1,
 * and height/width cut to {@link #SPATIAL_CAP} (or the kernel's span if larger): every output pixel is the
 * same per-channel arithmetic, and such a plane still has both border pixels and pixels whose window covers
 * every weight. A 12x12 plane made probing resnet50 take about 10 s; 4x4 takes under 2 s.
 */
final class Probe {
    static final int SPATIAL_CAP = 4;

    /** Largest |difference|, that divided by the largest |reference value|, and the input shape used. */
    record Result(double maxAbs, double maxRel, int[] shape) {}

    private Probe() {}

    /** @param fullShape the shape of the fragment's input value in the model (at batch 1) */
    static Result run(Fragment before, Fragment after, int[] fullShape, SplittableRandom rng) {
        String in = before.input();
        int[] shape = shapeFor(before, fullShape);
        Tensor x = Tensor.random(rng, -1f, 1f, shape);
        double[] ref = eval(before, in, shape, x), got = eval(after, in, shape, x);
        if (ref.length != got.length) {
            throw new IllegalStateException("rewrite changed the output size of '" + before.output() + "'");
        }
        double maxAbs = 0, maxRef = 0;
        for (int i = 0; i < ref.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(got[i] - ref[i])); // Math.max keeps a NaN
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
        }
        double maxRel = maxRef > 0 ? maxAbs / maxRef : (maxAbs == 0 ? 0 : Double.POSITIVE_INFINITY);
        return new Result(maxAbs, maxRel, shape);
    }

    private static double[] eval(Fragment f, String in, int[] shape, Tensor x) {
        Graph g = new Graph("probe", List.of(new ValueInfo(in, shape)), List.of(new ValueInfo(f.output(), new int[0])),
                f.nodes(), f.constants());
        return ReferenceInterpreter.run(g, Map.of(in, x)).get(f.output()).data();
    }

    /** Batch 1, and a spatial plane no larger than the cap unless a kernel needs more. */
    static int[] shapeFor(Fragment f, int[] full) {
        int[] s = full.clone();
        Node first = f.nodes().get(0);
        boolean transA = first.op() instanceof Op.Gemm gm && gm.transA(); // A is [K, M]: rows are dim 1
        s[transA ? 1 : 0] = 1;
        if (s.length == 4) {
            int needH = SPATIAL_CAP, needW = SPATIAL_CAP;
            for (Node n : f.nodes()) {
                if (n.op() instanceof Op.Conv c) {
                    int[] w = f.constants().get(n.input(1)).shape();
                    needH = Math.max(needH, (w[2] - 1) * c.dilations().h() + 1);
                    needW = Math.max(needW, (w[3] - 1) * c.dilations().w() + 1);
                }
            }
            s[2] = Math.min(s[2], needH);
            s[3] = Math.min(s[3], needW);
        }
        return s;
    }
}
