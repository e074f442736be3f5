package io.foldrt.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.ir.Graph;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.Session;
import io.foldrt.runtime.SessionOptions;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import io.foldrt.testing.TestModels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The batcher alone: how requests are grouped into passes, split back, and refused when the queue is full. */
class BatcherTest {
    private final ReferenceProvider cpu = new ReferenceProvider("cpu");
    private final List<Integer> passes = new CopyOnWriteArrayList<>();
    private final Session session = Model.of("tiny_cnn", TestModels.tinyCnn(), new FakeModelTools())
            .session(Device.cpu(), SessionOptions.defaults().withOpener(ServeFixture.recording(cpu, passes)));

    @AfterEach
    void closeSession() {
        session.close();
    }

    private static Map<String, Tensor> input(long seed, int rows) {
        return Map.of("x", Tensor.random(new SplittableRandom(seed), -1f, 1f, rows, 3, 8, 8));
    }

    private void awaitRuns(int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (cpu.runs.get() < n) {
            if (System.nanoTime() > end) throw new AssertionError("pass " + n + " did not start");
            Thread.sleep(2);
        }
    }

    /** Each request's answer from the batcher equals a direct run of that request alone (call after checking passes). */
    private void assertAnswers(List<Map<String, Tensor>> inputs, List<CompletableFuture<Map<String, Tensor>>> answers)
            throws Exception {
        for (int i = 0; i < inputs.size(); i++) {
            assertEquals(session.run(inputs.get(i)), answers.get(i).get(10, TimeUnit.SECONDS), "request " + i);
        }
    }

    @Test
    void queuedRequestsAreCombinedUpToMaxBatchInArrivalOrder() throws Exception {
        cpu.passDelayMillis = 150;
        List<Map<String, Tensor>> inputs = new ArrayList<>();
        List<CompletableFuture<Map<String, Tensor>>> answers = new ArrayList<>();
        try (Batcher b = new Batcher("tiny_cnn", session, 4, Duration.ZERO, 16)) {
            inputs.add(input(0, 1));
            answers.add(b.submit(inputs.get(0), 1));
            awaitRuns(1); // the worker is busy: everything below queues up behind it
            int[] rows = {1, 1, 3, 1, 2};
            for (int i = 0; i < rows.length; i++) {
                inputs.add(input(i + 1, rows[i]));
                answers.add(b.submit(inputs.get(i + 1), rows[i]));
            }
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        }
        // 1 | 1+1 (3 would overflow 4, so it leads the next pass) | 3+1 | 2
        assertEquals(List.of(1, 2, 4, 2), passes);
        cpu.passDelayMillis = 0;
        assertAnswers(inputs, answers);
    }

    @Test
    void theWindowWaitsForMoreRequests() throws Exception {
        List<Map<String, Tensor>> inputs = List.of(input(1, 1), input(2, 2), input(3, 1));
        List<CompletableFuture<Map<String, Tensor>>> answers = new ArrayList<>();
        try (Batcher b = new Batcher("tiny_cnn", session, 8, Duration.ofMillis(500), 16)) {
            for (Map<String, Tensor> in : inputs) answers.add(b.submit(in, in.get("x").dim(0)));
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of(4), passes);
        assertAnswers(inputs, answers);
    }

    @Test
    void withoutBatchingEveryRequestIsItsOwnPass() throws Exception {
        cpu.passDelayMillis = 50;
        List<Map<String, Tensor>> inputs = List.of(input(1, 1), input(2, 2), input(3, 1));
        List<CompletableFuture<Map<String, Tensor>>> answers = new ArrayList<>();
        try (Batcher b = new Batcher("tiny_cnn", session, 1, Duration.ofMillis(500), 16)) {
            for (Map<String, Tensor> in : inputs) answers.add(b.submit(in, in.get("x").dim(0)));
            CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of(1, 2, 1), passes);
        cpu.passDelayMillis = 0;
        assertAnswers(inputs, answers);
    }

    @Test
    void aRequestLargerThanMaxBatchRunsAlone() throws Exception {
        Map<String, Tensor> in = input(7, 5);
        CompletableFuture<Map<String, Tensor>> answer;
        try (Batcher b = new Batcher("tiny_cnn", session, 2, Duration.ofMillis(1), 4)) {
            answer = b.submit(in, 5);
            answer.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of(5), passes);
        assertAnswers(List.of(in), List.of(answer));
    }

    @Test
    void aFullQueueRefusesAtOnceAndCloseFinishesWhatWasQueued() throws Exception {
        cpu.passDelayMillis = 200;
        List<CompletableFuture<Map<String, Tensor>>> answers = new ArrayList<>();
        Batcher b = new Batcher("tiny_cnn", session, 1, Duration.ZERO, 2);
        answers.add(b.submit(input(0, 1), 1));
        awaitRuns(1);
        answers.add(b.submit(input(1, 1), 1));
        answers.add(b.submit(input(2, 1), 1));
        assertEquals(2, b.queued());
        long t0 = System.nanoTime();
        HttpError full = assertThrows(HttpError.class, () -> b.submit(input(3, 1), 1));
        assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(100), "refused without waiting");
        assertEquals(503, full.status());
        assertEquals("server busy: 2 requests are already queued for model 'tiny_cnn'; retry later", full.getMessage());
        b.close(); // returns only when the queue is empty and the worker has stopped
        for (var a : answers) assertTrue(a.isDone() && !a.isCompletedExceptionally());
        assertEquals(3, cpu.runs.get());
        HttpError closed = assertThrows(HttpError.class, () -> b.submit(input(4, 1), 1));
        assertEquals("model 'tiny_cnn' is shutting down", closed.getMessage());
    }

    @Test
    void aModelWithoutALeadingBatchDimensionIsNotBatched() {
        GraphBuilder gb = new GraphBuilder("fixed", 1);
        gb.output(gb.relu(gb.input("v", 4)));
        Graph g = gb.build();
        Session s = Model.of("fixed", g, new FakeModelTools()).session(Device.cpu(),
                SessionOptions.defaults().withOpener(ServeFixture.recording(new ReferenceProvider("cpu"), new ArrayList<>())));
        List<String> notices = new ArrayList<>();
        try (InferenceServer server = InferenceServer.start(ServeFixture.config().withBatching(8, Duration.ofMillis(2)),
                "fixed", s, notices::add)) {
            assertEquals(1, server.maxBatch("fixed"));
            assertEquals(List.of("dynamic batching is off for model 'fixed': input 'v' has no leading batch dimension [4]"), notices);
        }
    }
}
