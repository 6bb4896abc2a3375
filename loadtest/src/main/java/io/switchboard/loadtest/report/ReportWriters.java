package io.switchboard.loadtest.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a {@link Report} as JSON, as a self-contained HTML page, or as the plain-text table printed at the end of
 * a run. The HTML page has no external resources: its script and styles are inline, its charts are SVG drawn by that
 * script from the report data, embedded as {@code <script type="application/json" id="report-data">}.
 */
public final class ReportWriters {

    /** The id of the embedded data block in the HTML page. */
    public static final String DATA_ELEMENT_ID = "report-data";

    private ReportWriters() {}

    /** The report's model as pretty-printed JSON. */
    public static String json(Report report) {
        try {
            return ResultJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report.model());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize report", e);
        }
    }

    public static void writeJson(Report report, Path file) throws IOException {
        Files.writeString(file, json(report), StandardCharsets.UTF_8);
    }

    /** The self-contained HTML page of the report. */
    public static String html(Report report) {
        final String data;
        try {
            data = ResultJson.mapper().writeValueAsString(report.model());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize report", e);
        }
        // "</" would end the script element early; "<\/" is the same JSON string.
        final String safe = data.replace("</", "<\\/").replace("<!--", "<\\!--");
        return template()
                .replace("{{TITLE}}", "Switchboard load test: " + report.result().scenario())
                .replace("{{DATA}}", safe);
    }

    public static void writeHtml(Report report, Path file) throws IOException {
        Files.writeString(file, html(report), StandardCharsets.UTF_8);
    }

    /** The end-of-run table for a terminal. */
    @SuppressWarnings("unchecked")
    public static String table(Report report) {
        final Map<String, Object> m = report.model();
        final StringBuilder sb = new StringBuilder();
        final RunResult r = report.result();
        sb.append(String.format("%n== Switchboard load test: %s (%d process%s, warmup %.0fs, measured %.0fs) ==%n",
                r.scenario(), r.workers(), r.workers() == 1 ? "" : "es", r.warmupSeconds(), r.durationSeconds()));
        sb.append(String.format("%-22s %s%n", "target", r.settings().getOrDefault("url", "-")));
        final Map<String, Object> summary = (Map<String, Object>) m.get("summary");
        sb.append(String.format("%n%-22s %14s%n", "summary", "value"));
        summary.forEach((k, v) -> sb.append(String.format("%-22s %14s%n", k, v)));
        final Map<String, Map<String, Object>> latency = (Map<String, Map<String, Object>>) m.get("latency");
        if (!latency.isEmpty()) {
            sb.append(String.format("%n%-10s %10s %9s %9s %9s %9s %9s %9s   (microseconds)%n", "latency", "count",
                    "p50", "p90", "p99", "p99.9", "p99.99", "max"));
            latency.forEach((k, p) -> sb.append(String.format("%-10s %10s %9s %9s %9s %9s %9s %9s%n", k,
                    p.get("count"), p.get("p50"), p.get("p90"), p.get("p99"), p.get("p999"), p.get("p9999"),
                    p.get("max"))));
        }
        sb.append(String.format("%n%-40s %12s%n", "counter", "value"));
        r.counters().forEach((k, v) -> sb.append(String.format("%-40s %12d%n", k, v)));
        final java.util.List<Map<String, Object>> slo = (java.util.List<Map<String, Object>>) m.get("slo");
        if (!slo.isEmpty()) {
            sb.append(String.format("%n%-28s %14s %14s %s%n", "SLO", "limit", "actual", "verdict"));
            for (Map<String, Object> g : slo) {
                sb.append(String.format("%-28s %14s %14s %s%n", g.get("name"), g.get("limit"), g.get("actual"),
                        Boolean.TRUE.equals(g.get("passed")) ? "pass" : "FAIL"));
            }
        }
        sb.append(report.passed() ? "\nRESULT: PASS\n" : "\nRESULT: FAIL\n");
        return sb.toString();
    }

    private static String template() {
        try (InputStream in = ReportWriters.class.getResourceAsStream("report-template.html")) {
            if (in == null) {
                throw new IllegalStateException("report-template.html missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read report-template.html", e);
        }
    }
}
