package io.foldrt.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.foldrt.ir.GraphBuilder;
import io.foldrt.ir.Shapes;
import java.util.List;
import org.junit.jupiter.api.Test;

class FoldReportTest {

    /** conv(3→4, 3x3, bias) → bn1 → relu → add → bn2: bn1 folds, bn2 (after an Add) stays. */
    private static FoldReport report(boolean probe) {
        var b = new GraphBuilder("rep", 1);
        String x = b.input("x", Shapes.BATCH, 3, 6, 6);
        String y = b.relu(b.batchNorm(b.conv(x, 4, 3, 1, 1)));
        b.output(b.batchNorm(b.add(y, y)));
        return Planner.plan(b.build(), PlanOptions.defaults().withProbe(probe)).report();
    }

    @Test
    void totals() {
        FoldReport r = report(true);
        assertEquals(1, r.foldedCount());
        assertEquals(1, r.keptCount());
        // before: W 4*3*3*3 + b 4 + two BNs of 4 channels x 4 tensors; after: W, b and bn2
        assertEquals(108 + 4 + 16 + 16, r.parametersBefore());
        assertEquals(108 + 4 + 16, r.parametersAfter());
        assertEquals("cpu float64", r.engineName());
        assertTrue(r.foldMillis() >= 0 && r.planMillis() >= r.probeMillis() && r.probeMillis() > 0);
        assertEquals(r.entries().get(0).maxAbsError(), r.maxAbsError());
    }

    @Test
    void foldTimeCountsHostSideInputFoldsToo() {
        var b = new GraphBuilder("pre", 2);
        b.output(b.conv(b.batchNorm(b.input("x", Shapes.BATCH, 3, 4, 4)), 2, 1, 1, 0)); // nothing for the engine
        FoldReport r = Planner.plan(b.build()).report();
        assertEquals(1, r.foldedCount());
        assertTrue(r.foldMillis() > 0, r.toText());
    }

    @Test
    void textIsAnAlignedTable() {
        FoldReport r = report(true);
        String text = r.toText();
        List<String> lines = text.lines().toList();
        assertTrue(lines.get(0).contains("'rep'") && lines.get(0).contains("cpu float64"), lines.get(0));
        assertTrue(lines.get(1).startsWith("folded 1, kept 1; parameters 144 -> 128"), lines.get(1));
        String header = lines.stream().filter(l -> l.startsWith("batchnorm")).findFirst().orElseThrow();
        String bn1 = lines.stream().filter(l -> l.startsWith("bn1 ")).findFirst().orElseThrow();
        String bn2 = lines.stream().filter(l -> l.startsWith("bn2 ")).findFirst().orElseThrow();
        int status = header.indexOf("status"), into = header.indexOf("into"), reason = header.indexOf("reason");
        assertEquals(status, bn1.indexOf("folded"));
        assertEquals(status, bn2.indexOf("kept"));
        assertEquals(into, bn1.indexOf("conv1"));
        assertEquals(reason, bn1.indexOf("folded into 'conv1' (Conv)"));
        assertEquals(reason, bn2.indexOf("no Conv/ConvTranspose/Gemm/MatMul before it"));
        assertTrue(bn1.contains("[1,3,4,4]"), bn1);
        assertTrue(text.contains("conv1+relu1(relu)"), text);
    }

    @Test
    void jsonCarriesTheSameContent() throws Exception {
        FoldReport r = report(true);
        JsonNode j = new ObjectMapper().readTree(r.toJson());
        assertEquals("rep", j.get("model").asText());
        assertEquals("cpu float64", j.get("engine").asText());
        assertEquals(1, j.get("folded").asInt());
        assertEquals(1, j.get("kept").asInt());
        assertEquals(144, j.get("parametersBefore").asLong());
        assertEquals(128, j.get("parametersAfter").asLong());
        assertEquals(r.maxRelError(), j.get("maxRelError").asDouble());
        JsonNode e0 = j.get("entries").get(0), e1 = j.get("entries").get(1);
        assertEquals("bn1", e0.get("bn").asText());
        assertEquals("folded", e0.get("status").asText());
        assertEquals("conv1", e0.get("target").asText());
        assertEquals("conv+bn", e0.get("rule").asText());
        assertEquals(r.entries().get(0).maxAbsError(), e0.get("maxAbsError").asDouble());
        assertEquals("[1,3,4,4]", e0.get("probeShape").toString());
        assertEquals("kept", e1.get("status").asText());
        assertTrue(e1.get("target").isNull() && e1.get("maxAbsError").isNull() && e1.get("probeShape").isNull());
        assertEquals(r.entries().get(1).reason(), e1.get("reason").asText());
        assertEquals("conv1", j.get("activationFusions").get(0).get("layer").asText());
        assertEquals("relu", j.get("activationFusions").get(0).get("activation").asText());
    }

    @Test
    void unmeasuredNumbersAreDashesInTextAndNullsInJson() throws Exception {
        FoldReport r = report(false);
        String bn1 = r.toText().lines().filter(l -> l.startsWith("bn1 ")).findFirst().orElseThrow();
        assertTrue(bn1.matches("bn1\\s+folded\\s+conv1\\s+conv\\+bn\\s+-\\s+-\\s+-\\s+folded into.*"), bn1);
        JsonNode j = new ObjectMapper().readTree(r.toJson());
        assertTrue(j.get("maxAbsError").isNull() && j.get("entries").get(0).get("maxRelError").isNull());
    }
}
