package io.foldrt.cli;

import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.runtime.BackendOpener;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Inputs;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Measures one model with BatchNorm separate and with BatchNorm folded, on one backend and the same random
 * inputs. The timed passes are split into rounds that alternate between the two sides (and which side goes
 * first), so slow drift of the machine (clock boost, thermal limits, other processes) affects both sides alike
 * instead of favouring whichever ran second. Timing goes through {@link Executable#time}, so a GPU backend can
 * time on the device.
 */
final class Benchmark {
    /**
     * @param warmup untimed passes per side before the first round; later rounds re-warm with one pass each
     *               (when warmup > 0) because switching sides evicts caches
     */
    record Config(int batch, int warmup, int iters, int rounds, long seed) {}

    record Result(String model, String device, Config config, Stats separate, Stats folded, FoldSummary report,
                  int batchNormsSeparate, int batchNormsFolded, double outputMaxAbsDiff) {
        /** Median separate latency over median folded latency: above 1 means folding is faster. */
        double speedup() {
            return separate.median() / folded.median();
        }
    }

    private Benchmark() {}

    static Result run(Model model, Device device, Map<String, String> backendOptions, Config cfg, BackendOpener opener,
                      Consumer<String> notices, Consumer<String> progress) {
        Graph separate = model.plan(PlanRequest.unfolded()).model().graph();
        Model.Planned folded = model.plan(PlanRequest.defaults());
        Map<String, Tensor> inputs = randomInputs(model.graph(), cfg.batch(), cfg.seed());
        int rounds = Math.min(cfg.rounds(), cfg.iters());
        try (Backend backend = opener.open(device, backendOptions, notices);
             Executable sep = backend.compile(separate, cfg.batch());
             Executable fold = backend.compile(folded.model().graph(), cfg.batch())) {
            progress.accept("bench " + model.name() + " on " + backend.name() + ": batch " + cfg.batch() + ", "
                    + cfg.warmup() + " warm-up and " + cfg.iters() + " timed passes per side in " + rounds + " rounds");
            double diff = maxAbsDiff(copy(sep.run(inputs)), fold.run(inputs));
            double[] sepMs = new double[cfg.iters()], foldMs = new double[cfg.iters()];
            int done = 0;
            for (int r = 0; r < rounds; r++) {
                int n = cfg.iters() / rounds + (r < cfg.iters() % rounds ? 1 : 0);
                int warm = r == 0 ? cfg.warmup() : Math.min(1, cfg.warmup());
                double[] a, b;
                if (r % 2 == 0) {
                    a = sep.time(inputs, warm, n);
                    b = fold.time(inputs, warm, n);
                } else {
                    b = fold.time(inputs, warm, n);
                    a = sep.time(inputs, warm, n);
                }
                System.arraycopy(a, 0, sepMs, done, n);
                System.arraycopy(b, 0, foldMs, done, n);
                done += n;
                progress.accept("round " + (r + 1) + "/" + rounds + ": separate " + Fmt.ms(Stats.of(a).median())
                        + " ms, folded " + Fmt.ms(Stats.of(b).median()) + " ms (medians)");
            }
            return new Result(model.name(), backend.name(), cfg, Stats.of(sepMs), Stats.of(foldMs), folded.report(),
                    countBatchNorms(separate), countBatchNorms(folded.model().graph()), diff);
        }
    }

    /** Uniform values in [-1, 1) for every model input at {@code batch}, from a fixed seed. */
    static Map<String, Tensor> randomInputs(Graph g, int batch, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (ValueInfo v : Inputs.required(g)) in.put(v.name(), Tensor.random(rng, -1f, 1f, Shapes.bind(v.shape(), batch)));
        return in;
    }

    static int countBatchNorms(Graph g) {
        return (int) g.nodes().stream().filter(n -> n.op() instanceof Op.BatchNorm).count();
    }

    /** A backend may reuse output buffers; keep the first side's outputs while the second side runs. */
    private static Map<String, Tensor> copy(Map<String, Tensor> m) {
        Map<String, Tensor> c = new LinkedHashMap<>();
        for (var e : m.entrySet()) c.put(e.getKey(), new Tensor(e.getValue().shape(), e.getValue().data().clone()));
        return c;
    }

    private static double maxAbsDiff(Map<String, Tensor> a, Map<String, Tensor> b) {
        double max = 0;
        for (var e : a.entrySet()) {
            Tensor other = b.get(e.getKey());
            if (other == null || !Arrays.equals(e.getValue().shape(), other.shape())) return Double.NaN;
            float[] x = e.getValue().data(), y = other.data();
            for (int i = 0; i < x.length; i++) {
                double d = Math.abs((double) x[i] - y[i]);
                if (Double.isNaN(d)) return Double.NaN; // a NaN on either side must not be hidden
                max = Math.max(max, d);
            }
        }
        return max;
    }
}
