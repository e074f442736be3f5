package io.foldrt.testing;

import io.foldrt.backend.Backend;
import io.foldrt.backend.BackendProvider;
import io.foldrt.backend.Executable;
import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Graph;
import io.foldrt.ir.Node;
import io.foldrt.ir.ShapeInference;
import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.backend.ActivationMemory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A backend provider for tests that runs graphs with the float64 {@link ReferenceInterpreter} and counts what it
 * is asked to do. Its executables deliberately reuse their output buffers from one pass to the next (as a real
 * backend may), so a caller that keeps an output without copying it sees it change; and they record how many
 * passes ran at the same time.
 */
public final class ReferenceProvider implements BackendProvider {
    private final String kind;
    public final AtomicInteger opens = new AtomicInteger();
    public final AtomicInteger compiles = new AtomicInteger();
    public final AtomicInteger executablesClosed = new AtomicInteger();
    public final AtomicInteger backendsClosed = new AtomicInteger();
    public final AtomicInteger runs = new AtomicInteger();
    public final AtomicInteger maxConcurrentRuns = new AtomicInteger();
    /** Executables or backends closed while a pass was running: must stay 0. */
    public final AtomicInteger closedDuringPass = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    public volatile Map<String, String> lastOptions;
    public volatile int lastOrdinal = -1;
    /** Sleep inside each pass, to make overlapping calls likely in concurrency tests. */
    public volatile long passDelayMillis;

    public ReferenceProvider(String kind) {
        this.kind = kind;
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public Backend open(int ordinal, Map<String, String> options) {
        opens.incrementAndGet();
        lastOptions = options;
        lastOrdinal = ordinal;
        return new Backend() {
            @Override
            public String name() {
                return "reference " + kind + (kind.equals("cuda") ? ":" + ordinal : "");
            }

            @Override
            public Executable compile(Graph graph, int batch) {
                ShapeInference.infer(graph, batch); // reject what a real backend would reject
                compiles.incrementAndGet();
                return new RefExecutable(graph, batch);
            }

            @Override
            public void close() {
                if (inFlight.get() > 0) closedDuringPass.incrementAndGet();
                backendsClosed.incrementAndGet();
            }
        };
    }

    private final class RefExecutable implements Executable, ActivationMemory {
        private final Graph graph;
        private final int batch;
        private final Map<String, float[]> outBuffers = new HashMap<>();

        RefExecutable(Graph graph, int batch) {
            this.graph = graph;
            this.batch = batch;
        }

        @Override
        public int batch() {
            return batch;
        }

        @Override
        public Map<String, Tensor> run(Map<String, Tensor> inputs) {
            int now = inFlight.incrementAndGet();
            maxConcurrentRuns.accumulateAndGet(now, Math::max);
            try {
                runs.incrementAndGet();
                if (passDelayMillis > 0) Thread.sleep(passDelayMillis);
                Map<String, Tensor> out = new LinkedHashMap<>();
                for (var e : ReferenceInterpreter.run(graph, inputs).entrySet()) {
                    double[] d = e.getValue().data();
                    float[] buf = outBuffers.computeIfAbsent(e.getKey(), k -> new float[d.length]);
                    for (int i = 0; i < d.length; i++) buf[i] = (float) d[i];
                    out.put(e.getKey(), new Tensor(e.getValue().shape(), buf));
                }
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }

        /** Bytes of every node output at this batch size (no buffer reuse): a deterministic stand-in figure. */
        @Override
        public long plannedActivationBytes() {
            Map<String, int[]> shapes = ShapeInference.infer(graph, batch);
            long bytes = 0;
            for (Node n : graph.nodes()) bytes += 4 * Shapes.elementCount(shapes.get(n.output()));
            return bytes;
        }

        @Override
        public void close() {
            if (inFlight.get() > 0) closedDuringPass.incrementAndGet();
            executablesClosed.incrementAndGet();
        }
    }
}
