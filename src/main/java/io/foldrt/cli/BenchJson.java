package io.foldrt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.foldrt.runtime.FoldSummary;
import java.util.Map;

/**
 * The machine-readable bench result, format {@value #FORMAT}: {@code machine}, {@code config} and one entry of
 * {@code results} per model and batch size, with every timed pass of every side ({@code samples_ms}) so that
 * summaries, tables and charts can be recomputed from the file. Latencies are in milliseconds; a figure that was
 * not measured is null (JSON has no NaN). docs/cli.md lists the fields.
 */
final class BenchJson {
    static final String FORMAT = "foldrt-bench/2";
    static final String CI_METHOD = "percentile bootstrap over paired timed passes (the i-th pass of each side comes "
            + "from the same round); statistic: ratio of medians";
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchJson() {}

    static ObjectNode toJson(BenchReport report) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.set("machine", machine(report.machine()));
        ObjectNode cfg = root.putObject("config");
        Benchmark.Config c = report.config();
        cfg.put("engine", "FoldRT");
        cfg.put("device", report.device());
        cfg.put("threads", report.threads());
        ArrayNode batches = cfg.putArray("batches");
        c.batches().forEach(batches::add);
        cfg.put("warmup", c.warmup());
        cfg.put("iters", c.iters());
        cfg.put("rounds", c.effectiveRounds());
        cfg.put("trials", c.trials());
        cfg.put("seed", c.seed());
        ArrayNode peers = cfg.putArray("peers");
        report.peers().forEach(peers::add);
        ObjectNode ci = cfg.putObject("ci");
        ci.put("method", CI_METHOD);
        ci.put("level", Bootstrap.DEFAULT_LEVEL);
        ci.put("resamples", c.resamples());
        ArrayNode results = root.putArray("results");
        for (Benchmark.CaseResult r : report.cases()) results.add(result(r));
        return root;
    }

    static byte[] bytes(JsonNode json) {
        try {
            byte[] b = MAPPER.writeValueAsBytes(json);
            byte[] withNewline = java.util.Arrays.copyOf(b, b.length + 1);
            withNewline[b.length] = '\n';
            return withNewline;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the bench result", e);
        }
    }

    static ObjectNode machine(MachineInfo m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("cpu", m.cpu());
        o.put("cores", m.cores());
        o.put("java", m.java());
        o.put("os", m.os());
        o.put("load_average", m.loadAverage());
        o.put("date", m.date());
        o.put("command", m.command());
        o.put("commit", m.commit());
        return o;
    }

    private static ObjectNode result(Benchmark.CaseResult r) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("model", r.model());
        o.put("batch", r.batch());
        o.put("device", r.device());
        ArrayNode sides = o.putArray("sides");
        for (Benchmark.SideResult s : r.sides()) sides.add(side(s));
        o.set("speedup", interval(r.speedup()));
        ArrayNode ratios = o.putArray("peer_ratios");
        for (Benchmark.Ratio q : r.peerRatios()) {
            ObjectNode n = interval(q.interval());
            n.put("numerator", q.numerator());
            n.put("denominator", q.denominator());
            ratios.add(n);
        }
        ObjectNode diffs = o.putObject("output_max_abs_diff");
        r.outputDiffs().forEach((k, v) -> number(diffs, k, v));
        o.put("batchnorm_nodes_separate", r.batchNormsSeparate());
        o.put("batchnorm_nodes_folded", r.batchNormsFolded());
        o.set("fold", fold(r.report()));
        if (r.layers() != null) o.set("layers", layers(r.layers()));
        return o;
    }

    private static ObjectNode side(Benchmark.SideResult s) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("name", s.name());
        o.put("description", s.description());
        Stats st = s.stats();
        o.put("samples", st.count());
        o.put("median_ms", st.median());
        o.put("p90_ms", st.p90());
        o.put("p99_ms", st.p99());
        o.put("mean_ms", st.mean());
        o.put("min_ms", st.min());
        o.put("max_ms", st.max());
        ArrayNode tm = o.putArray("trial_medians_ms");
        for (double v : s.trialMedians()) tm.add(v);
        ArrayNode all = o.putArray("samples_ms");
        for (double v : s.samples()) all.add(v);
        return o;
    }

    private static ObjectNode interval(Bootstrap.Interval i) {
        ObjectNode o = MAPPER.createObjectNode();
        number(o, "value", i.estimate());
        number(o, "ci_low", i.low());
        number(o, "ci_high", i.high());
        return o;
    }

    private static ObjectNode fold(FoldSummary f) {
        ObjectNode fold = MAPPER.createObjectNode();
        fold.put("engine", f.engineName());
        fold.put("folded", f.foldedCount());
        fold.put("kept", f.keptCount());
        fold.put("parameters_before", f.parametersBefore());
        fold.put("parameters_after", f.parametersAfter());
        number(fold, "max_abs_error", f.maxAbsError());
        number(fold, "max_rel_error", f.maxRelError());
        number(fold, "fold_ms", f.foldMillis());
        try {
            fold.set("report", MAPPER.readTree(f.toJson()));
        } catch (JsonProcessingException e) {
            fold.put("report", f.toJson()); // keep the planner's text even if it is not valid JSON
        }
        return fold;
    }

    private static ObjectNode layers(Benchmark.LayerTimes l) {
        ObjectNode o = MAPPER.createObjectNode();
        ArrayNode byType = o.putArray("by_type");
        Map<String, Double> a = Benchmark.LayerTimes.byType(l.separate(), l.opTypes());
        Map<String, Double> b = Benchmark.LayerTimes.byType(l.folded(), l.opTypes());
        java.util.LinkedHashSet<String> types = new java.util.LinkedHashSet<>(a.keySet());
        types.addAll(b.keySet());
        for (String t : types) {
            ObjectNode n = byType.addObject();
            n.put("op", t);
            n.put("separate_ms", a.getOrDefault(t, 0.0));
            n.put("folded_ms", b.getOrDefault(t, 0.0));
        }
        o.set("separate_nodes", nodes(l.separate(), l.opTypes()));
        o.set("folded_nodes", nodes(l.folded(), l.opTypes()));
        return o;
    }

    private static ArrayNode nodes(Map<String, Double> perNode, Map<String, String> types) {
        ArrayNode arr = MAPPER.createArrayNode();
        perNode.forEach((node, ms) -> {
            ObjectNode n = arr.addObject();
            n.put("node", node);
            n.put("op", types.getOrDefault(node, "?"));
            n.put("ms", ms);
        });
        return arr;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v); else o.putNull(key);
    }
}
