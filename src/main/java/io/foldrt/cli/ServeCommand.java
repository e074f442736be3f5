package io.foldrt.cli;

import io.foldrt.ir.ModelException;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.FoldSummary;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.Session;
import io.foldrt.serve.InferenceServer;
import io.foldrt.serve.ServeConfig;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code foldrt serve}: serves a model over HTTP with the Open Inference Protocol (KServe v2) until SIGTERM or
 * Ctrl-C, then stops accepting, finishes in-flight requests and exits. Prints one line on stdout once listening:
 * {@code serving NAME on http://HOST:PORT (DEVICE)}; everything else goes to stderr.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serves a model over HTTP with the Open Inference Protocol (KServe v2 REST).",
                "Stops on SIGTERM or Ctrl-C after finishing in-flight requests. See docs/serve.md."})
final class ServeCommand extends CliCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "Zoo model name or .onnx file.")
    String model;

    @Option(names = "--host", defaultValue = ServeConfig.DEFAULT_HOST, paramLabel = "ADDRESS",
            description = "Address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface).")
    String host;

    @Option(names = "--port", defaultValue = "8000", paramLabel = "N",
            description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = {"-d", "--device"}, defaultValue = "auto", converter = DeviceConverter.class, paramLabel = "DEVICE",
            description = "auto, cpu, cuda or cuda:N (default: ${DEFAULT-VALUE}).")
    Device device;

    @Option(names = "--name", paramLabel = "NAME",
            description = "Model name in URLs (default: the zoo name, or the file name without .onnx).")
    String name;

    @Option(names = "--no-fold", description = "Keep BatchNorm as separate layers.")
    boolean noFold;

    @Option(names = "--max-batch", defaultValue = "1", paramLabel = "N",
            description = "Dynamic batching: combine queued requests into passes of up to N rows; 1 = off (default: ${DEFAULT-VALUE}).")
    int maxBatch;

    @Option(names = "--batch-window-ms", defaultValue = "2", paramLabel = "MS",
            description = "How long a pass waits for more requests when batching (default: ${DEFAULT-VALUE}).")
    int batchWindowMs;

    @Option(names = "--max-queue", defaultValue = "64", paramLabel = "N",
            description = "Requests that may wait; more are refused with 503 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--max-body-bytes", defaultValue = "67108864", paramLabel = "N",
            description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = {"-O", "--backend-option"}, paramLabel = "KEY=VALUE",
            description = "Backend option, e.g. cpu.threads=4 (see docs/cli.md).")
    Map<String, String> backendOptions = new LinkedHashMap<>();

    ServeCommand(CliContext ctx) {
        super(ctx);
    }

    @Override
    public Integer call() {
        if (port < 0 || port > 65535) throw badParameter("--port must be 0..65535, got " + port);
        requireAtLeast(maxBatch, 1, "--max-batch");
        requireAtLeast(batchWindowMs, 0, "--batch-window-ms");
        requireAtLeast(maxQueue, 1, "--max-queue");
        if (maxBodyBytes < 1) throw badParameter("--max-body-bytes must be at least 1, got " + maxBodyBytes);
        if (name != null && (name.isEmpty() || name.contains("/"))) {
            throw badParameter("--name must be non-empty and without '/', got '" + name + "'");
        }
        ServeConfig config = ServeConfig.defaults().withHost(host).withPort(port)
                .withBatching(maxBatch, Duration.ofMillis(batchWindowMs)).withMaxQueue(maxQueue).withMaxBodyBytes(maxBodyBytes);

        Model m = loadModel(model);
        // No probe, as in run: measuring the fold error is what bench and info are for; serving needs the graph only.
        Model.Planned planned = m.plan((noFold ? PlanRequest.unfolded() : PlanRequest.defaults()).withProbe(false));
        String served = name != null ? name : m.name();
        PrintWriter err = err();
        Session session = planned.model().session(device, sessionOptions(backendOptions));
        InferenceServer server;
        try {
            server = InferenceServer.start(config, served, session, n -> err.println("foldrt: " + n));
        } catch (UncheckedIOException e) { // the session is closed by start
            throw new ModelException(e.getMessage(), e);
        }
        Thread hook = Thread.ofPlatform().unstarted(() -> {
            err.println("foldrt: stopping: finishing in-flight requests");
            server.close();
        });
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            out().println("serving " + served + " on " + server.uri() + " (" + server.deviceName(served) + ")");
            err.println("foldrt: " + describe(planned.report(), noFold, server.maxBatch(served), config));
            server.awaitClose();
        } catch (InterruptedException e) {
            // Interrupting the command thread (an embedding application, a test) is a stop request like SIGTERM.
            err.println("foldrt: stopping: finishing in-flight requests");
        } finally {
            server.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is exiting: the hook is what closed the server.
            }
        }
        err.println("foldrt: stopped");
        return 0;
    }

    private static String describe(FoldSummary report, boolean noFold, int maxBatch, ServeConfig c) {
        String bn = noFold ? "BatchNorm separate" : "BatchNorm folded (" + report.foldedCount() + " folded, "
                + report.keptCount() + " kept)";
        String batching = maxBatch > 1 ? "batching up to " + maxBatch + " rows within " + c.batchWindow().toMillis() + " ms"
                : "no batching";
        return bn + ", " + batching + ", queue " + c.maxQueue() + ", body limit " + c.maxBodyBytes() + " bytes";
    }
}
