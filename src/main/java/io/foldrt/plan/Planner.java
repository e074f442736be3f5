package io.foldrt.plan;

import io.foldrt.ir.Graph;
import io.foldrt.ir.ModelException;
import io.foldrt.ir.Node;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The fusion planner: a pure function from a graph to a rewritten graph plus a {@link FoldReport}.
 * The input graph is never modified, and the result has the same inputs and outputs.
 *
 * <p>Passes, in order (folding ones only with {@link PlanOptions#fold()}):
 * <ol>
 *   <li>BatchNorm after Conv / ConvTranspose / Gemm / MatMul: folded into the layer's output channels,
 *       the arithmetic of all layers in one {@link FoldEngine} call;</li>
 *   <li>Linear→BN→Linear: the folded Gemm and the next Gemm are merged into one;</li>
 *   <li>BatchNorm before an unpadded Conv: folded into the conv's input channels;</li>
 *   <li>Relu/Clip after Conv or Gemm: fused as the layer's {@code Activation}
 *       ({@link PlanOptions#fuseActivations()});</li>
 *   <li>with {@link PlanOptions#probe()}: each fold checked numerically against the original nodes.</li>
 * </ol>
 *
 * <pre>
 * PlanResult r = Planner.plan(ModelZoo.build("resnet18"));
 * System.out.print(r.report().toText());
 * </pre>
 */
public final class Planner {
    private Planner() {}

    /** Plans with {@link PlanOptions#defaults()}. */
    public static PlanResult plan(Graph g) {
        return plan(g, PlanOptions.defaults());
    }

    /**
     * @throws ModelException for a graph whose shapes do not check, or a BatchNorm to fold whose statistics
     *     are NaN/Inf or give var + eps &lt;= 0 (the message names the node, the tensor and the channel)
     */
    public static PlanResult plan(Graph g, PlanOptions o) {
        long t0 = System.nanoTime();
        GraphIndex original = new GraphIndex(g).checkShapes(); // refuse an inconsistent graph before rewriting
        Ledger ledger = new Ledger(g);
        Graph cur = g;
        if (o.fold()) {
            cur = LayerFoldPass.run(original, ledger, o.engine());
            cur = CollapsePass.run(cur, ledger, o.engine());
            cur = InputFoldPass.run(cur, ledger);
        }
        List<FoldReport.ActivationFusion> fused = new ArrayList<>();
        if (o.fuseActivations()) cur = ActivationPass.run(cur, fused);
        new GraphIndex(cur).checkShapes(); // a rule bug must fail here, not in a backend later

        long tProbe = System.nanoTime();
        List<FoldReport.Entry> entries = entries(ledger, original, o);
        long t1 = System.nanoTime();
        FoldReport report = new FoldReport(g.name(), o.fold() ? o.engine().name() : "none", entries, fused,
                g.parameterCount(), cur.parameterCount(), ledger.foldMillis, o.probe() ? (t1 - tProbe) / 1e6 : 0,
                (t1 - t0) / 1e6);
        return new PlanResult(cur, report);
    }

    private static List<FoldReport.Entry> entries(Ledger ledger, GraphIndex original, PlanOptions o) {
        SplittableRandom rng = new SplittableRandom(o.probeSeed());
        List<FoldReport.Entry> out = new ArrayList<>();
        for (Ledger.Draft d : ledger.drafts()) {
            if (!d.folded) {
                String why = !o.fold() ? "folding is off" : d.refusals.isEmpty() ? noPartner(original, d.bn) : d.reason();
                out.add(new FoldReport.Entry(d.bn, null, false, null, why, Double.NaN, Double.NaN, null, null));
                continue;
            }
            double abs = Double.NaN, rel = Double.NaN;
            int[] shape = null;
            if (o.probe()) {
                abs = 0;
                rel = 0;
                for (Ledger.Step step : d.steps) {
                    Probe.Result p = Probe.run(step.before(), step.after(), original.shape(step.before().input()), rng);
                    abs = Math.max(abs, p.maxAbs());
                    rel = Math.max(rel, p.maxRel());
                    shape = p.shape();
                }
            }
            out.add(new FoldReport.Entry(d.bn, d.target, true, d.rule, d.reason(), abs, rel, shape, d.mergedInto));
        }
        return out;
    }

    /** Why no rule even matched: the BN's neighbours are not layers it can fold into. */
    private static String noPartner(GraphIndex g, String bnName) {
        Node bn = null;
        for (Node n : g.graph.nodes()) if (n.name().equals(bnName)) bn = n;
        Node p = g.producer(bn.input(0));
        String from = p == null ? "graph input '" + bn.input(0) + "'" : GraphIndex.describe(p);
        List<String> to = new ArrayList<>();
        for (Node r : g.readers(bn.output())) to.add(GraphIndex.describe(r));
        if (g.isGraphOutput(bn.output())) to.add("the graph output");
        return "no Conv/ConvTranspose/Gemm/MatMul before it (input from " + from
                + ") and no single unpadded Conv after it (output to " + String.join(", ", to) + ")";
    }
}
