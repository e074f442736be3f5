package io.foldrt.serve;

import io.foldrt.ir.Tensor;
import io.foldrt.runtime.Session;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a model's requests through one bounded queue and one worker thread.
 *
 * <p><b>Why one worker.</b> A {@link Session} runs one forward pass at a time anyway; a single consumer keeps the
 * order fair, lets request threads parse and encode JSON while a pass runs, and is the natural place to combine
 * requests.
 *
 * <p><b>Dynamic batching</b> (when {@code maxBatch > 1} and the model has a leading batch dimension on every input
 * and output): after taking a request the worker waits up to the window for more, and concatenates them along
 * dim 0 into one pass of at most {@code maxBatch} rows; the outputs are split back by each request's rows. This
 * assumes rows are independent, as they are for inference-mode CNNs and MLPs (BatchNorm uses its running
 * statistics). A request that would overflow the pass waits for the next one; a request larger than
 * {@code maxBatch} runs alone.
 *
 * <p><b>Back-pressure.</b> At most {@code maxQueue} requests wait; {@link #submit} refuses one more at once
 * (HTTP 503) instead of letting waiting grow without bound.
 */
final class Batcher implements AutoCloseable {
    private record Job(Map<String, Tensor> inputs, int rows, CompletableFuture<Map<String, Tensor>> result) {}

    private final String modelName;
    private final Session session;
    private final int maxBatch;
    private final long windowNanos;
    private final ArrayBlockingQueue<Job> queue;
    private final Object admission = new Object();
    private final Thread worker;
    private volatile boolean closed; // written under admission, so no job is queued after the worker's last look

    /** @param maxBatch 1 runs every request on its own */
    Batcher(String modelName, Session session, int maxBatch, Duration window, int maxQueue) {
        this.modelName = modelName;
        this.session = session;
        this.maxBatch = maxBatch;
        this.windowNanos = window.toNanos();
        this.queue = new ArrayBlockingQueue<>(maxQueue);
        // A platform thread: it blocks in forward passes whose own threads use the CPU, and must not pin a carrier.
        this.worker = Thread.ofPlatform().name("foldrt-batcher-" + modelName).daemon(true).start(this::loop);
    }

    /**
     * Queues a checked request.
     *
     * @param rows the request's batch size
     * @return completes with the request's outputs, or exceptionally with the failure of its pass
     * @throws HttpError 503 when the queue is full or the batcher is closing
     */
    CompletableFuture<Map<String, Tensor>> submit(Map<String, Tensor> inputs, int rows) {
        Job job = new Job(inputs, rows, new CompletableFuture<>());
        synchronized (admission) {
            if (closed) throw HttpError.unavailable("model '" + modelName + "' is shutting down");
            if (!queue.offer(job)) {
                throw HttpError.unavailable("server busy: " + queue.size() + " requests are already queued for model '"
                        + modelName + "'; retry later");
            }
        }
        return job.result();
    }

    /** Requests waiting for the worker now (not counting the pass that is running). */
    int queued() {
        return queue.size();
    }

    /** Stops admitting requests, lets the worker finish every queued one, and waits for it to exit. */
    @Override
    public void close() {
        synchronized (admission) {
            closed = true;
        }
        boolean interrupted = false;
        while (worker.isAlive()) {
            try {
                worker.join();
            } catch (InterruptedException e) {
                interrupted = true; // finish waiting: the session must not be closed under a running pass
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    private void loop() {
        Job carry = null; // taken from the queue but did not fit the previous pass
        while (true) {
            Job first = carry != null ? carry : poll(50_000_000L); // wakes now and then to notice close()
            carry = null;
            if (first == null) {
                if (closed && queue.isEmpty()) return;
                continue;
            }
            List<Job> pass = new ArrayList<>();
            pass.add(first);
            int rows = first.rows();
            long deadline = System.nanoTime() + windowNanos;
            while (maxBatch > 1 && rows < maxBatch) {
                Job next = queue.poll();
                if (next == null && !closed) next = poll(deadline - System.nanoTime());
                if (next == null) break;
                if (rows + next.rows() > maxBatch) {
                    carry = next;
                    break;
                }
                pass.add(next);
                rows += next.rows();
            }
            run(pass, rows);
        }
    }

    /** The next job within {@code nanos}, or null. */
    private Job poll(long nanos) {
        if (nanos <= 0) return null;
        try {
            return queue.poll(nanos, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            return null; // nobody interrupts this thread; if someone does, the loop just looks again
        }
    }

    private void run(List<Job> pass, int rows) {
        try {
            if (pass.size() == 1) {
                pass.get(0).result().complete(session.run(pass.get(0).inputs()));
                return;
            }
            Map<String, Tensor> out = session.run(concat(pass, rows));
            List<Map<String, Tensor>> parts = split(out, pass, rows);
            for (int i = 0; i < pass.size(); i++) pass.get(i).result().complete(parts.get(i));
        } catch (Throwable t) {
            for (Job j : pass) j.result().completeExceptionally(t);
        }
    }

    /** Every input of the jobs, concatenated along dim 0 in job order. */
    private static Map<String, Tensor> concat(List<Job> pass, int rows) {
        Map<String, Tensor> merged = new LinkedHashMap<>();
        for (String name : pass.get(0).inputs().keySet()) {
            int[] shape = pass.get(0).inputs().get(name).shape();
            shape[0] = rows;
            int rowSize = pass.get(0).inputs().get(name).size() / pass.get(0).rows();
            float[] data = new float[Math.multiplyExact(rows, rowSize)];
            int at = 0;
            for (Job j : pass) {
                float[] d = j.inputs().get(name).data();
                System.arraycopy(d, 0, data, at, d.length);
                at += d.length;
            }
            merged.put(name, new Tensor(shape, data));
        }
        return merged;
    }

    /** Each job's rows of every output, in job order. */
    private static List<Map<String, Tensor>> split(Map<String, Tensor> out, List<Job> pass, int rows) {
        List<Map<String, Tensor>> parts = new ArrayList<>();
        for (int i = 0; i < pass.size(); i++) parts.add(new LinkedHashMap<>());
        for (var e : out.entrySet()) {
            Tensor t = e.getValue();
            if (t.rank() == 0 || t.dim(0) != rows) {
                throw new IllegalStateException("output '" + e.getKey() + "' of a batched pass has shape "
                        + InferValidator.str(t.shape()) + ", expected " + rows + " rows; cannot split it by request");
            }
            int rowSize = t.size() / rows;
            int at = 0;
            for (int i = 0; i < pass.size(); i++) {
                int n = pass.get(i).rows();
                int[] shape = t.shape();
                shape[0] = n;
                float[] d = Arrays.copyOfRange(t.data(), at * rowSize, (at + n) * rowSize);
                parts.get(i).put(e.getKey(), new Tensor(shape, d));
                at += n;
            }
        }
        return parts;
    }
}
