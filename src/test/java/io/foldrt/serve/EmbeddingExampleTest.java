package io.foldrt.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.foldrt.backend.reference.ReferenceInterpreter;
import io.foldrt.ir.Tensor;
import io.foldrt.runtime.Device;
import io.foldrt.runtime.ModelTools;
import io.foldrt.runtime.PlanRequest;
import io.foldrt.runtime.SessionOptions;
import io.foldrt.testing.FakeModelTools;
import io.foldrt.testing.ReferenceProvider;
import io.foldrt.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The embedding example of docs/serve.md: the document shows this very code, and it runs and cleans up. */
class EmbeddingExampleTest {
    private static final Path DOC = Path.of("docs/serve.md");
    private static final Path SOURCE = Path.of("src/test/java/io/foldrt/serve/EmbeddingExample.java");

    @Test
    void theDocumentShowsTheTestedCode() throws IOException {
        String doc = Files.readString(DOC);
        String marker = "<!-- EmbeddingExample.java -->\n```java\n";
        int start = doc.indexOf(marker);
        assertTrue(start >= 0, "docs/serve.md has the example block after " + marker.strip());
        start += marker.length();
        String shown = doc.substring(start, doc.indexOf("```\n", start));
        String source = Files.readString(SOURCE);
        String code = source.substring(source.indexOf("import "));
        assertEquals(code, shown, "docs/serve.md must show EmbeddingExample.java (from its imports on) verbatim");
    }

    @Test
    void runsConcurrentRequestsOnOneSessionAndFreesTheBackend() throws Exception {
        ReferenceProvider cpu = new ReferenceProvider("cpu");
        cpu.passDelayMillis = 5; // so requests overlap while a pass runs
        FakeModelTools tools = new FakeModelTools();
        SessionOptions options = SessionOptions.defaults().withOpener(ServeFixture.recording(cpu, new ArrayList<>()));

        List<Map<String, Tensor>> answers = EmbeddingExample.serve("tiny_cnn", Device.cpu(), tools, options, 16);

        assertEquals(16, answers.size());
        for (int i = 0; i < answers.size(); i++) {
            Tensor image = Tensor.random(new SplittableRandom(i), 0f, 1f, 1, 3, 8, 8);
            double[] want = ReferenceInterpreter.run(TestModels.tinyCnn(), Map.of("x", image)).get("fc1_out").data();
            Tensor got = answers.get(i).get("fc1_out");
            for (int k = 0; k < want.length; k++) assertEquals((float) want[k], got.data()[k], "request " + i);
        }
        assertEquals(List.of(PlanRequest.defaults()), tools.planRequests, "the model was planned (folded) once");
        assertEquals(1, cpu.maxConcurrentRuns.get(), "the shared session ran one pass at a time");
        assertEquals(1, cpu.opens.get());
        assertEquals(1, cpu.backendsClosed.get(), "closing the session closed the backend");
        assertEquals(cpu.compiles.get(), cpu.executablesClosed.get(), "and every compiled graph");
        assertEquals(0, cpu.closedDuringPass.get());
    }

    /** The example exactly as a user runs it; needs the real zoo, planner and CPU backend (skipped until merged). */
    @Test
    void mainRunsOnTheRealBuild() throws Exception {
        try {
            ModelTools.standard().zooNames();
        } catch (UnsupportedOperationException notWired) {
            Assumptions.abort("this build is not wired to the model zoo yet: " + notWired.getMessage());
        }
        EmbeddingExample.main(new String[] {"resnet18"});
    }
}
