package io.foldrt.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.foldrt.io.AtomicFiles;
import io.foldrt.runtime.FoldSummary;
import java.nio.file.Path;

/**
 * The machine-readable bench result. Latencies are in milliseconds; a figure that was not measured is null
 * (JSON has no NaN).
 */
final class BenchJson {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private BenchJson() {}

    static ObjectNode toJson(Benchmark.Result r) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("model", r.model());
        root.put("device", r.device());
        Benchmark.Config c = r.config();
        root.put("batch", c.batch());
        root.put("warmup", c.warmup());
        root.put("iters", c.iters());
        root.put("rounds", Math.min(c.rounds(), c.iters()));
        root.put("seed", c.seed());
        root.set("separate", stats(r.separate()));
        root.set("folded", stats(r.folded()));
        number(root, "speedup", r.speedup());
        number(root, "output_max_abs_diff", r.outputMaxAbsDiff());
        root.put("batchnorm_nodes_separate", r.batchNormsSeparate());
        root.put("batchnorm_nodes_folded", r.batchNormsFolded());
        FoldSummary f = r.report();
        ObjectNode fold = root.putObject("fold");
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
        root.put("java", System.getProperty("java.version"));
        root.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return root;
    }

    static void write(Benchmark.Result r, Path file, Path... inputsNotToOverwrite) {
        byte[] bytes;
        try {
            bytes = MAPPER.writeValueAsBytes(toJson(r));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode the bench result", e);
        }
        AtomicFiles.write(file, out -> {
            out.write(bytes);
            out.write('\n');
        }, inputsNotToOverwrite);
    }

    private static ObjectNode stats(Stats s) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("samples", s.count());
        o.put("median_ms", s.median());
        o.put("p90_ms", s.p90());
        o.put("p99_ms", s.p99());
        o.put("mean_ms", s.mean());
        o.put("min_ms", s.min());
        o.put("max_ms", s.max());
        return o;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) o.put(key, v); else o.putNull(key);
    }
}
