package io.foldrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Markdown tables of bench results, rendered from the JSON form ({@link BenchJson}) so that {@code --markdown} and
 * {@code bench-report} print the same thing for the same data.
 */
final class BenchMarkdown {
    private BenchMarkdown() {}

    /** A whole document for one {@code foldrt bench} run. */
    static String render(JsonNode run) {
        return "# FoldRT benchmark\n\n" + section(run);
    }

    /** Machine, method, latency table, peer comparison and per-layer tables of one run. */
    static String section(JsonNode run) {
        StringBuilder md = new StringBuilder();
        JsonNode m = run.path("machine"), c = run.path("config");
        md.append("Machine: ").append(m.path("cpu").asText()).append(", ").append(m.path("cores").asInt())
                .append(" cores, load average ").append(m.path("load_average").asText()).append("; ")
                .append(m.path("java").asText()).append("; ").append(m.path("os").asText()).append("  \n");
        md.append("Date: ").append(m.path("date").asText()).append("; commit `").append(m.path("commit").asText())
                .append("`  \n");
        md.append("Command: `").append(m.path("command").asText()).append("`  \n");
        md.append("Method: ").append(engine(run)).append(" on ").append(c.path("device").asText()).append("; ")
                .append(c.path("warmup").asInt())
                .append(" warm-up and ").append(c.path("iters").asInt()).append(" timed passes per side in ")
                .append(c.path("rounds").asInt()).append(" interleaved rounds (the order of the sides rotates each round)")
                .append(c.path("trials").asInt() > 1 ? ", " + c.path("trials").asInt() + " trials (each compiles afresh)" : "")
                .append(". Speedup = median separate / median folded. 95% CI: ")
                .append(c.path("ci").path("method").asText()).append(", ").append(c.path("ci").path("resamples").asInt())
                .append(" resamples.\n\n");
        latencyTable(run, md);
        peerTable(run, md);
        layerTables(run, md);
        return md.toString();
    }

    /** The engine a result file measured: "FoldRT" (foldrt bench), "PyTorch" (bench/pytorch/compare.py), ... */
    static String engine(JsonNode run) {
        return run.path("config").path("engine").asText("FoldRT");
    }

    private static void latencyTable(JsonNode run, StringBuilder md) {
        List<String> sides = sideNames(run);
        List<String> head = new ArrayList<>(List.of("model", "batch"));
        for (String s : sides) head.add(s + " ms: median (p90, p99)");
        head.add("speedup [95% CI]");
        boolean trials = run.path("config").path("trials").asInt(1) > 1;
        if (trials) {
            head.add("speedup per trial (min-max)");
            head.add("spread of the trial medians: separate, folded");
        }
        row(md, head);
        separator(md, head.size());
        for (JsonNode r : run.path("results")) {
            List<String> cells = new ArrayList<>(List.of(r.path("model").asText(), r.path("batch").asText()));
            for (String s : sides) {
                JsonNode side = side(r, s);
                cells.add(side == null ? "" : ms(side.path("median_ms")) + " (" + ms(side.path("p90_ms")) + ", "
                        + ms(side.path("p99_ms")) + ")");
            }
            cells.add(interval(r.path("speedup")));
            if (trials) {
                cells.add(trialRange(side(r, "separate"), side(r, "folded")));
                cells.add(spread(side(r, "separate")) + ", " + spread(side(r, "folded")));
            }
            row(md, cells);
        }
        md.append('\n');
    }

    /** (max - min) / min of a side's trial medians, in percent: the run-to-run spread of its median. */
    private static String spread(JsonNode side) {
        if (side == null) return "";
        double[] v = trialMedians(side);
        return v.length < 2 ? "" : String.format(Locale.ROOT, "%.1f%%", Spread.of(v).percent());
    }

    /** Range of separate / folded over the trials' medians: the spread the pooled interval does not show. */
    private static String trialRange(JsonNode sep, JsonNode fold) {
        if (sep == null || fold == null) return "";
        Spread q = Spread.ofRatios(trialMedians(sep), trialMedians(fold));
        return q.min() > q.max() ? "" : String.format(Locale.ROOT, "%.3f-%.3f", q.min(), q.max());
    }

    private static double[] trialMedians(JsonNode side) {
        JsonNode m = side.path("trial_medians_ms");
        double[] v = new double[m.size()];
        for (int i = 0; i < v.length; i++) v[i] = m.get(i).asDouble();
        return v;
    }

    private static void peerTable(JsonNode run, StringBuilder md) {
        Set<String> ratios = new LinkedHashSet<>();
        for (JsonNode r : run.path("results")) {
            for (JsonNode q : r.path("peer_ratios")) {
                ratios.add(q.path("numerator").asText() + " / " + q.path("denominator").asText());
            }
        }
        if (ratios.isEmpty()) return;
        md.append("FoldRT / peer latency, same ONNX file and inputs, ").append(run.path("config").path("threads").asInt())
                .append(" intra-op threads on both (below 1: FoldRT is faster). Peers: ")
                .append(String.join("; ", texts(run.path("config").path("peers")))).append(".\n\n");
        List<String> head = new ArrayList<>(List.of("model", "batch"));
        for (String q : ratios) head.add(q + " [95% CI]");
        row(md, head);
        separator(md, head.size());
        for (JsonNode r : run.path("results")) {
            List<String> cells = new ArrayList<>(List.of(r.path("model").asText(), r.path("batch").asText()));
            for (String q : ratios) {
                String cell = "";
                for (JsonNode n : r.path("peer_ratios")) {
                    if ((n.path("numerator").asText() + " / " + n.path("denominator").asText()).equals(q)) cell = interval(n);
                }
                cells.add(cell);
            }
            row(md, cells);
        }
        md.append('\n');
    }

    private static void layerTables(JsonNode run, StringBuilder md) {
        for (JsonNode r : run.path("results")) {
            JsonNode l = r.path("layers");
            if (l.isMissingNode() || l.isNull()) continue;
            md.append("Where the time goes: ").append(r.path("model").asText()).append(", batch ")
                    .append(r.path("batch").asInt()).append(" (per-node profile, mean ms per pass, by operator)\n\n");
            row(md, List.of("op", "separate ms", "folded ms", "folded - separate ms"));
            separator(md, 4);
            double ta = 0, tb = 0;
            for (JsonNode t : l.path("by_type")) {
                double a = t.path("separate_ms").asDouble(), b = t.path("folded_ms").asDouble();
                ta += a;
                tb += b;
                row(md, List.of(t.path("op").asText(), Fmt.ms(a), Fmt.ms(b), signed(b - a)));
            }
            row(md, List.of("**total**", Fmt.ms(ta), Fmt.ms(tb), signed(tb - ta)));
            md.append('\n');
        }
    }

    /** The JMH results of one {@code bench/run jmh} file, one row per benchmark and parameter set. */
    static String jmhSection(JsonNode run) {
        StringBuilder md = new StringBuilder();
        JsonNode m = run.path("machine");
        md.append("Machine: ").append(m.path("cpu").asText()).append(", ").append(m.path("cores").asInt())
                .append(" cores, load average ").append(m.path("load_average").asText()).append("; ")
                .append(m.path("java").asText()).append("; ").append(m.path("os").asText()).append("  \n");
        md.append("Date: ").append(m.path("date").asText()).append("; commit `").append(m.path("commit").asText())
                .append("`  \n");
        md.append("Command: `").append(m.path("command").asText()).append("`");
        if (!run.path("skipped").asText().isEmpty()) md.append("  \nSkipped: ").append(run.path("skipped").asText());
        md.append("\n\n");
        JsonNode jmh = run.path("jmh");
        pivot(md, jmh, "ConvBnBench", "variant", List.of("conv", "conv_bn", "folded", "conv_bn_relu", "folded_relu"),
                "conv_bn", "folded", "Conv vs conv+BN vs folded, per layer shape");
        pivot(md, jmh, "BatchNormPassBench", "variant", List.of("bn", "none"), "bn", "none",
                "The BatchNorm pass alone vs nothing, per layer output shape");
        pivot(md, jmh, "ModelLatencyBench", "mode", List.of("separate", "folded"), "separate", "folded",
                "Whole model, BatchNorm separate vs folded");
        pivot(md, jmh, "PlannerFoldBench", "work", List.of("fold", "fold_probe"), null, null,
                "Planner time per model (fold alone; fold plus the float64 error probe)");
        md.append("<details><summary>All JMH rows</summary>\n\n");
        row(md, List.of("benchmark", "parameters", "median", "p99", "mean ± error", "unit", "samples"));
        separator(md, 7);
        for (JsonNode b : run.path("jmh")) {
            JsonNode pm = b.path("primaryMetric");
            JsonNode pct = pm.path("scorePercentiles");
            List<String> params = new ArrayList<>();
            b.path("params").properties().forEach(e -> params.add(e.getKey() + "=" + e.getValue().asText()));
            String name = b.path("benchmark").asText().replaceFirst("^io\\.foldrt\\.bench\\.", "");
            row(md, List.of(name, String.join(" ", params), num(pct.path("50.0")), num(pct.path("99.0")),
                    num(pm.path("score")) + " ± " + num(pm.path("scoreError")), pm.path("scoreUnit").asText(),
                    samples(pm)));
        }
        md.append("\n</details>\n\n");
        return md.toString();
    }

    /**
     * One row per parameter set of {@code bench} (less {@code key}), one column per value of {@code key} with that
     * row's median, and the ratio of the {@code num} and {@code den} columns' medians when both are given.
     */
    private static void pivot(StringBuilder md, JsonNode jmh, String bench, String key, List<String> columns,
                              String num, String den, String title) {
        Map<String, Map<String, JsonNode>> rows = new LinkedHashMap<>();
        String unit = "";
        for (JsonNode b : jmh) {
            String method = b.path("benchmark").asText();
            if (!method.substring(0, Math.max(0, method.lastIndexOf('.'))).endsWith("." + bench)) continue;
            List<String> params = new ArrayList<>();
            b.path("params").properties().forEach(e -> {
                if (!e.getKey().equals(key)) params.add(e.getKey() + "=" + e.getValue().asText());
            });
            rows.computeIfAbsent(String.join(" ", params), k -> new LinkedHashMap<>())
                    .put(b.path("params").path(key).asText(), b.path("primaryMetric"));
            unit = b.path("primaryMetric").path("scoreUnit").asText();
        }
        if (rows.isEmpty()) return;
        md.append(title).append(" (median ").append(unit).append(")\n\n");
        List<String> head = new ArrayList<>(List.of("parameters"));
        head.addAll(columns);
        if (num != null) head.add(num + " / " + den);
        row(md, head);
        separator(md, head.size());
        rows.forEach((params, byKey) -> {
            List<String> cells = new ArrayList<>(List.of(params));
            for (String c : columns) cells.add(byKey.containsKey(c) ? num(median(byKey.get(c))) : "");
            if (num != null) {
                JsonNode a = byKey.get(num), b = byKey.get(den);
                cells.add(a == null || b == null ? ""
                        : String.format(Locale.ROOT, "%.3f", median(a).asDouble() / median(b).asDouble()));
            }
            row(md, cells);
        });
        md.append('\n');
    }

    /** The median of a JMH primary metric (sample mode's 50th percentile). */
    private static JsonNode median(JsonNode primaryMetric) {
        return primaryMetric.path("scorePercentiles").path("50.0");
    }

    private static String samples(JsonNode pm) {
        if (pm.has("samples")) return pm.path("samples").asText(); // JmhRunner replaced the histograms by it
        long n = 0;
        for (JsonNode fork : pm.path("rawDataHistogram")) {
            for (JsonNode iter : fork) for (JsonNode bin : iter) n += bin.path(1).asLong();
        }
        if (n == 0) for (JsonNode fork : pm.path("rawData")) n += fork.size();
        return Long.toString(n);
    }

    static List<String> sideNames(JsonNode run) {
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode r : run.path("results")) for (JsonNode s : r.path("sides")) names.add(s.path("name").asText());
        return List.copyOf(names);
    }

    private static JsonNode side(JsonNode result, String name) {
        for (JsonNode s : result.path("sides")) if (s.path("name").asText().equals(name)) return s;
        return null;
    }

    private static List<String> texts(JsonNode arr) {
        List<String> t = new ArrayList<>();
        for (JsonNode n : arr) t.add(n.asText());
        return t;
    }

    private static String interval(JsonNode i) {
        if (!i.path("value").isNumber()) return "n/a";
        return String.format(Locale.ROOT, "%.3fx [%.3f, %.3f]", i.path("value").asDouble(),
                i.path("ci_low").asDouble(Double.NaN), i.path("ci_high").asDouble(Double.NaN));
    }

    private static String ms(JsonNode v) {
        return v.isNumber() ? Fmt.ms(v.asDouble()) : "n/a";
    }

    private static String num(JsonNode v) {
        return v.isNumber() ? String.format(Locale.ROOT, "%.3f", v.asDouble()) : "n/a";
    }

    private static String signed(double v) {
        return String.format(Locale.ROOT, "%+.3f", v);
    }

    private static void row(StringBuilder md, List<String> cells) {
        md.append("| ");
        for (int i = 0; i < cells.size(); i++) md.append(i == 0 ? "" : " | ").append(cells.get(i).replace("|", "\\|"));
        md.append(" |\n");
    }

    private static void separator(StringBuilder md, int n) {
        md.append("|").append("---|".repeat(n)).append('\n');
    }
}
