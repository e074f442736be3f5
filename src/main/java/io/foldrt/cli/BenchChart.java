package io.foldrt.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.knowm.xchart.BoxChart;
import org.knowm.xchart.BoxChartBuilder;
import org.knowm.xchart.style.BoxStyler;

/**
 * A PNG of the latency distributions: one box plot per model and batch size (each with its own latency axis, since
 * models differ by orders of magnitude), one box per side (separate, folded, peers), in a grid under a header
 * naming the machine. Boxes span the quartiles with the median inside; whiskers reach the most extreme pass within
 * 1.5 interquartile ranges (XChart's default). Rendered from the JSON form.
 */
final class BenchChart {
    static final int PANEL_WIDTH = 560, PANEL_HEIGHT = 400, HEADER = 56, MAX_COLUMNS = 3;

    private BenchChart() {}

    /** Columns and rows of the grid for {@code panels} panels. */
    static int[] grid(int panels) {
        int cols = Math.max(1, Math.min(MAX_COLUMNS, panels));
        return new int[] {cols, Math.max(1, (panels + cols - 1) / cols)};
    }

    static byte[] png(JsonNode run) {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        List<JsonNode> results = new ArrayList<>();
        run.path("results").forEach(results::add);
        int[] g = grid(results.size());
        BufferedImage img = new BufferedImage(g[0] * PANEL_WIDTH, HEADER + g[1] * PANEL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g2 = img.createGraphics();
        try {
            g2.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g2.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g2.setColor(Color.WHITE);
            g2.fillRect(0, 0, img.getWidth(), img.getHeight());
            header(g2, run, img.getWidth());
            for (int i = 0; i < results.size(); i++) {
                Graphics2D p = (Graphics2D) g2.create((i % g[0]) * PANEL_WIDTH, HEADER + (i / g[0]) * PANEL_HEIGHT,
                        PANEL_WIDTH, PANEL_HEIGHT);
                try {
                    panel(results.get(i)).paint(p, PANEL_WIDTH, PANEL_HEIGHT);
                } finally {
                    p.dispose();
                }
            }
        } finally {
            g2.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, "png", out)) throw new IllegalStateException("no PNG writer in this JDK");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static void header(Graphics2D g, JsonNode run, int width) {
        JsonNode m = run.path("machine"), c = run.path("config");
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString("FoldRT latency, BatchNorm separate vs folded (" + c.path("device").asText() + ")", 12, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        String line = m.path("cpu").asText() + ", " + m.path("cores").asInt() + " cores, load "
                + m.path("load_average").asText()
                + " | " + c.path("iters").asInt() + " passes per side x " + c.path("trials").asInt() + " trial(s), "
                + c.path("rounds").asInt() + " interleaved rounds | " + m.path("date").asText();
        g.drawString(line, 12, 42);
        g.setColor(Color.LIGHT_GRAY);
        g.drawLine(0, HEADER - 1, width, HEADER - 1);
    }

    private static BoxChart panel(JsonNode r) {
        JsonNode sp = r.path("speedup");
        String title = r.path("model").asText() + ", batch " + r.path("batch").asInt()
                + (sp.path("value").isNumber() ? String.format(java.util.Locale.ROOT, ": folding %.2fx [%.2f, %.2f]",
                sp.path("value").asDouble(), sp.path("ci_low").asDouble(), sp.path("ci_high").asDouble()) : "");
        BoxChart chart = new BoxChartBuilder().width(PANEL_WIDTH).height(PANEL_HEIGHT).title(title)
                .yAxisTitle("latency per pass (ms)").build();
        BoxStyler st = chart.getStyler();
        st.setChartBackgroundColor(Color.WHITE);
        st.setPlotBackgroundColor(Color.WHITE);
        st.setPlotGridLinesColor(new Color(0xDDDDDD));
        st.setChartTitleFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        st.setAxisTickLabelsFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        st.setAxisTitleFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        st.setLegendVisible(false);
        st.setYAxisDecimalPattern("#,##0.###");
        st.setToolTipsEnabled(false);
        st.setMarkerSize(4);
        for (JsonNode s : r.path("sides")) {
            JsonNode samples = s.path("samples_ms");
            double[] v = new double[samples.size()];
            for (int k = 0; k < v.length; k++) v[k] = samples.get(k).asDouble();
            chart.addSeries(s.path("name").asText(), v);
        }
        return chart;
    }
}
