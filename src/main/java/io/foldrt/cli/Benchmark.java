package io.foldrt.cli;

import io.foldrt.backend.Backend;
import io.foldrt.backend.Executable;
import io.foldrt.backend.LayerProfiler;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.Op;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.peer.PeerEngine;
import io.foldrt.runtime.BackendOpener;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Inputs;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Measures models with BatchNorm separate and folded (and, optionally, peer engines on the same ONNX file) on one
 * backend and the same seeded inputs. For each model and batch size: {@code trials} times, every side is compiled
 * afresh, warmed up, and timed in rounds; each round runs every side once, in an order that rotates from round to
 * round, so slow drift of the machine (clock boost, heat, other processes) affects all sides alike instead of
 * favouring whichever ran last. Timing goes through {@link Executable#time}, so a GPU backend times on the device.
 * The i-th timed pass of every side comes from the same round: the samples are paired, which is what
 * {@link Bootstrap#ratioOfMedians} resamples.
 */
final class Benchmark {
    static final String SEPARATE = "separate";
    static final String FOLDED = "folded";

    /**
     * @param warmup untimed passes per side before the first round of a trial; later rounds re-warm with one pass
     *               each (when warmup > 0) because switching sides evicts caches
     * @param resamples bootstrap resamples for the confidence intervals
     */
    record Config(List<Integer> batches, int warmup, int iters, int rounds, int trials, long seed, boolean layers,
                  int resamples) {
        Config {
            batches = List.copyOf(batches);
        }

        int effectiveRounds() {
            return Math.min(rounds, iters);
        }
    }

    /** A model prepared for benchmarking: its separate and folded graphs and, for peers, the ONNX file. */
    record Subject(String name, Graph separate, Model.Planned folded, Path onnx) {}

    /** One timed configuration: all passes of all trials, in order, and each trial's median. */
    record SideResult(String name, String description, double[] samples, double[] trialMedians) {
        Stats stats() {
            return Stats.of(samples);
        }
    }

    /** Latency of {@code numerator} over latency of {@code denominator} (ratio of medians) with its interval. */
    record Ratio(String numerator, String denominator, Bootstrap.Interval interval) {}

    /** Mean milliseconds per node for both FoldRT sides, and each node's operator type. */
    record LayerTimes(Map<String, Double> separate, Map<String, Double> folded, Map<String, String> opTypes) {
        /** Milliseconds per operator type ("Conv", "BatchNormalization", ...), in order of first appearance. */
        static Map<String, Double> byType(Map<String, Double> perNode, Map<String, String> opTypes) {
            Map<String, Double> t = new LinkedHashMap<>();
            perNode.forEach((node, ms) -> t.merge(opTypes.getOrDefault(node, "?"), ms, Double::sum));
            return t;
        }
    }

    /**
     * One model at one batch size.
     *
     * @param outputDiffs per side other than "separate": the largest absolute difference of its outputs from the
     *                    separate side's on the bench input (NaN if a NaN appeared or the outputs do not match up)
     * @param speedup     median separate / median folded: above 1 means folding is faster
     * @param peerRatios  FoldRT over each peer configuration that does the same BatchNorm work (below 1: FoldRT is
     *                    faster)
     * @param layers      per-node times, or null when not asked for or the backend cannot report them
     */
    record CaseResult(String model, int batch, String device, List<SideResult> sides, FoldSummary report,
                      int batchNormsSeparate, int batchNormsFolded, Map<String, Double> outputDiffs,
                      Bootstrap.Interval speedup, List<Ratio> peerRatios, LayerTimes layers) {
        SideResult side(String name) {
            return sides.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
        }

        Stats separate() {
            return side(SEPARATE).stats();
        }

        Stats folded() {
            return side(FOLDED).stats();
        }
    }

    /** A peer engine configuration to time. */
    record Peer(PeerEngine engine, PeerEngine.Variant variant) {
        String label() {
            return engine.name() + ":" + variant.name();
        }
    }

    private record Side(String name, String description, Supplier<Executable> open) {}

    private Benchmark() {}

    /** One model at one batch size, FoldRT separate versus folded only, on a backend opened for the occasion. */
    static CaseResult single(Model model, Device device, Map<String, String> backendOptions, Config cfg,
                             BackendOpener opener, Consumer<String> notices, Consumer<String> progress) {
        Subject s = new Subject(model.name(), model.plan(PlanRequest.unfolded()).model().graph(),
                model.plan(PlanRequest.defaults()), null);
        try (Backend backend = opener.open(device, backendOptions, notices)) {
            return runCase(s, cfg.batches().getFirst(), backend, List.of(), 1, cfg, progress);
        }
    }

    /**
     * Runs every subject at every batch size, in that order; {@code onCase} receives each result as it is done.
     *
     * @param threads the intra-op thread count given to peers (FoldRT's own backend already has its count)
     */
    static List<CaseResult> run(List<Subject> subjects, Backend backend, List<Peer> peers, int threads, Config cfg,
                                Consumer<String> progress, Consumer<CaseResult> onCase) {
        List<CaseResult> all = new ArrayList<>();
        for (Subject s : subjects) {
            for (int batch : cfg.batches()) {
                CaseResult r = runCase(s, batch, backend, peers, threads, cfg, progress);
                all.add(r);
                onCase.accept(r);
            }
        }
        return all;
    }

    static CaseResult runCase(Subject subject, int batch, Backend backend, List<Peer> peers, int threads, Config cfg,
                              Consumer<String> progress) {
        Graph sepGraph = subject.separate(), foldGraph = subject.folded().model().graph();
        List<Side> sides = new ArrayList<>();
        sides.add(new Side(SEPARATE, "FoldRT, BatchNorm as separate steps", () -> backend.compile(sepGraph, batch)));
        sides.add(new Side(FOLDED, "FoldRT, BatchNorm folded", () -> backend.compile(foldGraph, batch)));
        for (Peer p : peers) {
            sides.add(new Side(p.label(), p.engine().description() + ", " + p.variant().description(),
                    () -> p.engine().open(subject.onnx(), p.variant(), threads, batch)));
        }
        Map<String, Tensor> inputs = randomInputs(sepGraph, batch, cfg.seed());
        int k = sides.size(), rounds = cfg.effectiveRounds();
        progress.accept("bench " + subject.name() + " on " + backend.name() + ": batch " + batch + ", " + cfg.warmup()
                + " warm-up and " + cfg.iters() + " timed passes per side in " + rounds + " rounds"
                + (cfg.trials() > 1 ? ", " + cfg.trials() + " trials" : "")
                + (k > 2 ? "; sides " + String.join(", ", sides.stream().map(Side::name).toList()) : ""));
        double[][] samples = new double[k][cfg.iters() * cfg.trials()];
        double[][] trialMedians = new double[k][cfg.trials()];
        Map<String, Double> diffs = new LinkedHashMap<>();
        for (int t = 0; t < cfg.trials(); t++) {
            List<Executable> ex = new ArrayList<>(k);
            try {
                for (Side s : sides) ex.add(s.open().get());
                if (t == 0) {
                    Map<String, Tensor> ref = copy(ex.getFirst().run(inputs));
                    for (int i = 1; i < k; i++) diffs.put(sides.get(i).name(), maxAbsDiff(ref, ex.get(i).run(inputs)));
                }
                timeTrial(ex, sides, inputs, cfg, t, samples, progress);
            } finally {
                for (Executable e : ex) e.close();
            }
            for (int i = 0; i < k; i++) {
                trialMedians[i][t] = Stats.of(Arrays.copyOfRange(samples[i], t * cfg.iters(), (t + 1) * cfg.iters())).median();
            }
        }
        List<SideResult> results = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            results.add(new SideResult(sides.get(i).name(), sides.get(i).description(), samples[i], trialMedians[i]));
        }
        long ciSeed = cfg.seed() ^ (31L * batch + subject.name().hashCode());
        Bootstrap.Interval speedup = Bootstrap.ratioOfMedians(samples[0], samples[1], cfg.resamples(),
                Bootstrap.DEFAULT_LEVEL, ciSeed);
        List<Ratio> ratios = new ArrayList<>();
        for (int i = 0; i < peers.size(); i++) {
            Peer p = peers.get(i);
            int own = p.variant().fusesBatchNorm() ? 1 : 0;
            ratios.add(new Ratio(sides.get(own).name(), p.label(), Bootstrap.ratioOfMedians(samples[own], samples[2 + i],
                    cfg.resamples(), Bootstrap.DEFAULT_LEVEL, ciSeed + 1 + i)));
        }
        LayerTimes layers = cfg.layers() ? layers(backend, sepGraph, foldGraph, batch, inputs, cfg, progress) : null;
        return new CaseResult(subject.name(), batch, backend.name(), List.copyOf(results), subject.folded().report(),
                countBatchNorms(sepGraph), countBatchNorms(foldGraph), diffs, speedup, List.copyOf(ratios), layers);
    }

    /** One trial: {@code rounds} rounds; round r runs the sides starting from side r mod k. */
    private static void timeTrial(List<Executable> ex, List<Side> sides, Map<String, Tensor> inputs, Config cfg, int trial,
                                  double[][] samples, Consumer<String> progress) {
        int k = ex.size(), rounds = cfg.effectiveRounds();
        int done = trial * cfg.iters();
        for (int r = 0; r < rounds; r++) {
            int n = cfg.iters() / rounds + (r < cfg.iters() % rounds ? 1 : 0);
            int warm = r == 0 ? cfg.warmup() : Math.min(1, cfg.warmup());
            double[][] got = new double[k][];
            for (int j = 0; j < k; j++) {
                int i = (r + j) % k;
                got[i] = ex.get(i).time(inputs, warm, n);
            }
            StringBuilder line = new StringBuilder(cfg.trials() > 1 ? "trial " + (trial + 1) + "/" + cfg.trials() + " " : "");
            line.append("round ").append(r + 1).append('/').append(rounds).append(": ");
            for (int i = 0; i < k; i++) {
                System.arraycopy(got[i], 0, samples[i], done, n);
                line.append(i == 0 ? "" : ", ").append(sides.get(i).name()).append(' ')
                        .append(Fmt.ms(Stats.of(got[i]).median())).append(" ms");
            }
            done += n;
            progress.accept(line.append(" (medians)").toString());
        }
    }

    private static LayerTimes layers(Backend backend, Graph sep, Graph fold, int batch, Map<String, Tensor> inputs,
                                     Config cfg, Consumer<String> progress) {
        Map<String, String> types = new LinkedHashMap<>();
        for (Graph g : List.of(sep, fold)) for (Node n : g.nodes()) types.putIfAbsent(n.name(), n.op().type());
        Map<String, Double> a, b;
        try (Executable s = backend.compile(sep, batch); Executable f = backend.compile(fold, batch)) {
            if (!(s instanceof LayerProfiler ps) || !(f instanceof LayerProfiler pf)) {
                progress.accept("per-layer times: " + backend.name() + " cannot report them; skipped");
                return null;
            }
            int warm = Math.max(1, cfg.warmup());
            a = ps.profileLayers(inputs, warm, cfg.iters());
            b = pf.profileLayers(inputs, warm, cfg.iters());
        }
        progress.accept("per-layer times: " + cfg.iters() + " profiled passes per side");
        return new LayerTimes(a, b, types);
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

    /** A backend may reuse output buffers; keep the first side's outputs while the others run. */
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
