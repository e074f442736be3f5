package io.foldrt.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.foldrt.runtime.Device;
import io.foldrt.runtime.Model;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.Session;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The load test on the real thing: resnet18 from the zoo, folded by the real planner, on the real CPU backend,
 * behind the real server. Each request carries its own 3x224x224 input (about 2 MB of JSON) and its answer is
 * checked against a direct session run. Kept small (one resnet18 pass is tens of milliseconds on two cores).
 */
class RealModelLoadTest {
    private static final int REQUESTS = 48;

    @Test
    void resnet18AnswersEveryClientCorrectlyWithAndWithoutBatching() throws Exception {
        try (Session session = Model.load("resnet18").plan(PlanRequest.defaults().withProbe(false)).model()
                .session(Device.cpu())) {
            LoadTest.Result off, on;
            try (ServeFixture f = new ServeFixture("resnet18", session, ServeFixture.config())) {
                LoadTest.Work w = LoadTest.Work.make(f, REQUESTS, 11);
                off = LoadTest.load("resnet18 cpu, no batching", f, w, LoadTest.CLIENTS, true);
                assertEquals(List.of(), f.notices, "no internal errors were reported");
            }
            try (Session batchedSession = Model.load("resnet18").plan(PlanRequest.defaults().withProbe(false)).model()
                    .session(Device.cpu());
                 ServeFixture f = new ServeFixture("resnet18", batchedSession,
                         ServeFixture.config().withBatching(8, Duration.ofMillis(2)))) {
                LoadTest.Work w = LoadTest.Work.make(f, REQUESTS, 11);
                // A batched pass may sum in another order than a batch-1 pass: compared within float rounding.
                on = LoadTest.load("resnet18 cpu, batching 8 / 2 ms", f, w, LoadTest.CLIENTS, false);
                assertEquals(List.of(), f.notices, "no internal errors were reported");
            }
            for (LoadTest.Result r : List.of(off, on)) {
                assertEquals(List.of(), r.errors(), r.label());
                assertEquals(REQUESTS, r.ok(), r.label() + ": every request answered with 200");
            }
            System.out.printf("load resnet18: batching on/off throughput %.2fx%n", on.throughput() / off.throughput());
        }
    }
}
