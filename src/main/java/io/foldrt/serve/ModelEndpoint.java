package io.foldrt.serve;

import io.foldrt.ir.Shapes;
import io.foldrt.ir.Tensor;
import io.foldrt.ir.ValueInfo;
import io.foldrt.runtime.Session;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.Consumer;

/**
 * One served model: its session (owned), metadata, request checks and batcher. {@link #infer} is called by many
 * request threads at once.
 */
final class ModelEndpoint implements AutoCloseable {
    private final String name;
    private final Session session;
    private final InferValidator validator;
    private final Batcher batcher;
    private final byte[] metadata;
    private final int maxBatch;

    /** Takes ownership of {@code session}. */
    ModelEndpoint(String name, Session session, ServeConfig config, Consumer<String> notices) {
        this.name = name;
        this.session = session;
        this.validator = new InferValidator(session.inputs(), session.outputs());
        this.metadata = InferJson.modelMetadata(name, session.inputs(), session.outputs());
        String unbatchable = config.batching() ? unbatchable(session) : null;
        if (unbatchable != null) notices.accept("dynamic batching is off for model '" + name + "': " + unbatchable);
        this.maxBatch = unbatchable == null ? config.maxBatch() : 1;
        this.batcher = new Batcher(name, session, maxBatch, config.batchWindow(), config.maxQueue());
    }

    String name() {
        return name;
    }

    String deviceName() {
        return session.deviceName();
    }

    /** The largest pass the batcher forms: 1 when batching is off or the model cannot be batched. */
    int maxBatch() {
        return maxBatch;
    }

    /** Requests waiting for the model's worker. */
    int queued() {
        return batcher.queued();
    }

    byte[] metadata() {
        return metadata;
    }

    /** Runs a request and returns the response body. */
    byte[] infer(InferRequest request) {
        InferValidator.Checked c = validator.check(request);
        Map<String, Tensor> out = await(batcher.submit(c.inputs(), c.batch()));
        if (!c.outputs().isEmpty()) {
            Map<String, Tensor> chosen = new LinkedHashMap<>();
            for (String o : c.outputs()) chosen.put(o, out.get(o));
            out = chosen;
        }
        return InferJson.inferResponse(name, request.id(), out);
    }

    /** Finishes queued requests, then closes the session. */
    @Override
    public void close() {
        try {
            batcher.close();
        } finally {
            session.close();
        }
    }

    private Map<String, Tensor> await(CompletableFuture<Map<String, Tensor>> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw HttpError.unavailable("model '" + name + "': request interrupted (server is shutting down)");
        } catch (ExecutionException e) {
            // The validator has already done the session's input checks, so a failure of the pass is the server's
            // (compiling for a batch size, the backend): the router answers 500.
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) throw r;
            if (cause instanceof Error err) throw err;
            throw new IllegalStateException(cause);
        }
    }

    /** Why requests cannot be concatenated along dim 0, or null when they can. */
    static String unbatchable(Session s) {
        for (ValueInfo v : s.inputs()) {
            String why = notLeadingBatch(v);
            if (why != null) return "input '" + v.name() + "' " + why;
        }
        for (ValueInfo v : s.outputs()) {
            String why = notLeadingBatch(v);
            if (why != null) return "output '" + v.name() + "' " + why;
        }
        return null;
    }

    private static String notLeadingBatch(ValueInfo v) {
        int[] d = v.shape();
        if (d.length == 0 || d[0] != Shapes.BATCH) return "has no leading batch dimension " + InferValidator.str(d);
        for (int i = 1; i < d.length; i++) {
            if (d[i] == Shapes.BATCH) return "has a batch dimension other than the first " + InferValidator.str(d);
        }
        return null;
    }
}
