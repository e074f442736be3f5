package io.foldrt.plan;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.foldrt.ir.Shapes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Renders a {@link FoldReport} as an aligned text table or as JSON. */
final class FoldReportFormat {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final List<String> HEADER =
            List.of("batchnorm", "status", "into", "rule", "max abs err", "max rel err", "probe input", "reason");

    private FoldReportFormat() {}

    static String text(FoldReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("fold report for '").append(r.model()).append("' (engine: ").append(r.engineName()).append(")\n");
        sb.append(String.format(Locale.ROOT,
                "folded %d, kept %d; parameters %,d -> %,d; fold %.2f ms, probe %.2f ms, plan %.2f ms%n",
                r.foldedCount(), r.keptCount(), r.parametersBefore(), r.parametersAfter(), r.foldMillis(),
                r.probeMillis(), r.planMillis()));
        sb.append("max abs error ").append(num(r.maxAbsError())).append(", max rel error ").append(num(r.maxRelError()))
                .append('\n');
        List<List<String>> rows = new ArrayList<>();
        rows.add(HEADER);
        for (FoldReport.Entry e : r.entries()) {
            rows.add(List.of(e.bn(), e.folded() ? "folded" : "kept", dash(e.target()), dash(e.rule()),
                    num(e.maxAbsError()), num(e.maxRelError()),
                    e.probeShape() == null ? "-" : Shapes.str(e.probeShape()), e.reason()));
        }
        int[] width = new int[HEADER.size()];
        for (List<String> row : rows) for (int c = 0; c < width.length; c++) width[c] = Math.max(width[c], row.get(c).length());
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < width.length; c++) {
                line.append(row.get(c));
                if (c < width.length - 1) line.append(" ".repeat(width[c] - row.get(c).length() + 2));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        if (!r.activationFusions().isEmpty()) {
            sb.append("activation fusions (").append(r.activationFusions().size()).append("):");
            for (FoldReport.ActivationFusion f : r.activationFusions()) {
                sb.append(' ').append(f.layer()).append('+').append(f.activationNode()).append('(').append(f.activation())
                        .append(')');
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    static String json(FoldReport r) {
        ObjectNode root = JSON.createObjectNode();
        root.put("model", r.model());
        root.put("engine", r.engineName());
        root.put("folded", r.foldedCount());
        root.put("kept", r.keptCount());
        root.put("parametersBefore", r.parametersBefore());
        root.put("parametersAfter", r.parametersAfter());
        putNumber(root, "maxAbsError", r.maxAbsError());
        putNumber(root, "maxRelError", r.maxRelError());
        root.put("foldMillis", r.foldMillis());
        root.put("probeMillis", r.probeMillis());
        root.put("planMillis", r.planMillis());
        ArrayNode entries = root.putArray("entries");
        for (FoldReport.Entry e : r.entries()) {
            ObjectNode o = entries.addObject();
            o.put("bn", e.bn());
            o.put("status", e.folded() ? "folded" : "kept");
            o.put("target", e.target());
            o.put("rule", e.rule());
            o.put("reason", e.reason());
            putNumber(o, "maxAbsError", e.maxAbsError());
            putNumber(o, "maxRelError", e.maxRelError());
            if (e.probeShape() == null) {
                o.putNull("probeShape");
            } else {
                ArrayNode s = o.putArray("probeShape");
                for (int d : e.probeShape()) s.add(d);
            }
            o.put("mergedInto", e.mergedInto());
        }
        ArrayNode fusions = root.putArray("activationFusions");
        for (FoldReport.ActivationFusion f : r.activationFusions()) {
            ObjectNode o = fusions.addObject();
            o.put("layer", f.layer());
            o.put("activationNode", f.activationNode());
            o.put("activation", f.activation());
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render fold report as JSON", e);
        }
    }

    /** JSON has no NaN/Infinity: an unmeasured (NaN) value is null, an infinite one a string. */
    private static void putNumber(ObjectNode o, String field, double v) {
        if (Double.isNaN(v)) o.putNull(field);
        else if (Double.isInfinite(v)) o.put(field, v > 0 ? "Infinity" : "-Infinity");
        else o.put(field, v);
    }

    private static String num(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3g", v);
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
