package io.foldrt.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.foldrt.cli.MachineInfo;
import io.foldrt.io.AtomicFiles;
import java.lang.module.ModuleFinder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the JMH suite and writes one result file, format "foldrt-jmh/1": {@code machine} (CPU, cores, JDK, OS, load,
 * date, command, commit), {@code skipped} (why CUDA was not measured, if it was not) and JMH's own JSON results as
 * {@code jmh}. Usage: {@code JmhRunner --out FILE [JMH options]}; bench/run calls it.
 *
 * <p>Unless the JMH options set {@code -p device=...}, CUDA is measured when a GPU is usable here and skipped with
 * its reason printed otherwise.
 */
public final class JmhRunner {
    private JmhRunner() {}

    public static void main(String[] args) throws Exception {
        List<String> rest = new ArrayList<>(Arrays.asList(args));
        int at = rest.indexOf("--out");
        if (at < 0 || at + 1 >= rest.size()) {
            System.err.println("usage: JmhRunner --out FILE.json [JMH options]");
            System.exit(2);
        }
        Path out = Path.of(rest.get(at + 1));
        rest.subList(at, at + 2).clear();
        CommandLineOptions cli = new CommandLineOptions(rest.toArray(String[]::new));
        Path raw = Files.createTempFile("foldrt-jmh-", ".json");
        try {
            ChainedOptionsBuilder opts = new OptionsBuilder().parent(cli).resultFormat(ResultFormatType.JSON)
                    .result(raw.toString());
            // The CPU backend's vector GEMM kernel, where this runtime has the module (a jlinked one may not).
            if (ModuleFinder.ofSystem().find("jdk.incubator.vector").isPresent()) {
                opts.jvmArgsPrepend("--add-modules", "jdk.incubator.vector");
            }
            String skipped = "";
            if (!cli.getParameter("device").hasValue()) {
                String reason = Engines.cudaUnavailableReason();
                if (reason == null) {
                    opts.param("device", "cpu", "cuda");
                } else {
                    skipped = "cuda: " + reason;
                    System.out.println("CUDA benchmarks skipped: " + reason);
                    opts.param("device", "cpu");
                }
            }
            new Runner(opts.build()).run();
            ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            ObjectNode root = mapper.createObjectNode();
            root.put("format", "foldrt-jmh/1");
            String command = System.getenv().getOrDefault("FOLDRT_COMMAND", "JmhRunner " + String.join(" ", args));
            root.set("machine", mapper.valueToTree(MachineInfo.current(command)));
            renameLoadAverage((ObjectNode) root.get("machine"));
            root.put("skipped", skipped);
            JsonNode jmh = mapper.readTree(raw.toFile());
            for (JsonNode b : jmh) {
                countSamples((ObjectNode) b.path("primaryMetric"));
                ((ObjectNode) b).remove("secondaryMetrics"); // sample mode's percentiles again, as metrics
            }
            root.set("jmh", jmh);
            byte[] bytes = mapper.writeValueAsBytes(root);
            AtomicFiles.write(out, o -> o.write(bytes));
            System.out.println("wrote " + out);
        } finally {
            Files.deleteIfExists(raw);
        }
    }

    /**
     * Replaces the raw per-sample histograms (most of the file: 1.5 MB for the short suite) by their sample
     * count; the score, error and percentiles JMH computed from them stay.
     */
    private static void countSamples(ObjectNode pm) {
        JsonNode hist = pm.remove("rawDataHistogram");
        if (hist == null) return;
        long n = 0;
        for (JsonNode fork : hist) for (JsonNode iter : fork) for (JsonNode bin : iter) n += bin.path(1).asLong();
        pm.put("samples", n);
    }

    /** Same key as foldrt bench's JSON. */
    private static void renameLoadAverage(ObjectNode m) {
        if (m.has("loadAverage")) m.set("load_average", m.remove("loadAverage"));
    }
}
