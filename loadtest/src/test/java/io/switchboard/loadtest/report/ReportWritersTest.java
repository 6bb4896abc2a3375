package io.switchboard.loadtest.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWritersTest {

    @TempDir
    Path dir;

    private static RunResult sample() {
        final Histogram receipt = HistogramCodec.empty();
        final List<String> series = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            final Histogram sec = HistogramCodec.empty();
            for (int i = 0; i < 1000; i++) {
                sec.recordValue(200 + i + s * 100);
                receipt.recordValue(200 + i + s * 100);
            }
            series.add(HistogramCodec.encode(sec));
        }
        return new RunResult("chat", 2, 1, 5,
                // A hostile setting: must not break out of the embedded script block.
                Map.of("url", "ws://127.0.0.1:8080/pinter/imserver", "idPrefix", "</script><b>x"),
                Map.of("chat.sent", 5000L, "chat.sent.in-window", 5000L, "receipt.0.push-success", 5000L,
                        "agent.delivered", 5000L, "agent.replies.sent", 5000L, "agent.receipt.0.push-success", 5000L,
                        "user.replies", 5000L, "connect.attempted", 210L, "connect.established", 210L),
                Map.of("connect.rampMillis", 1500L),
                Map.of("receipt", HistogramCodec.encode(receipt)),
                Map.of("receipt", series));
    }

    @Test
    void jsonHasTheFields() throws Exception {
        final Report report = Report.of(sample(), new SloGates(Duration.ofMillis(5), 0.001, 0L));
        final Path file = dir.resolve("r.json");
        ReportWriters.writeJson(report, file);
        final JsonNode json = ResultJson.mapper().readTree(Files.readString(file));
        assertEquals("chat", json.get("scenario").asText());
        assertEquals(5000, json.get("summary").get("sent").asLong());
        assertEquals(1000.0, json.get("summary").get("achievedRate").asDouble());
        assertEquals(0, json.get("summary").get("lost").asLong());
        assertEquals(0, json.get("summary").get("errors").asLong());
        assertEquals(140.0, json.get("summary").get("connectRate").asDouble());
        assertEquals(5000, json.get("latency").get("receipt").get("count").asLong());
        assertTrue(json.get("latency").get("receipt").get("p99").asLong() > 0);
        assertEquals(5, json.get("series").get("receipt").size());
        assertEquals(1000, json.get("series").get("receipt").get(0).get("count").asLong());
        assertTrue(json.get("distribution").get("receipt").size() > 10);
        assertTrue(json.get("passed").asBoolean());
        assertEquals(3, json.get("slo").size());
    }

    @Test
    void htmlEmbedsTheDataAndIsSelfContained() throws Exception {
        final Report report = Report.of(sample(), SloGates.none());
        final Path file = dir.resolve("r.html");
        ReportWriters.writeHtml(report, file);
        final String html = Files.readString(file);
        assertFalse(html.contains("http://"), "no external resources");
        assertFalse(html.contains("https://"), "no external resources");
        assertFalse(html.contains("<link"), "no stylesheets to fetch");
        assertFalse(Pattern.compile("<script[^>]*\\bsrc=").matcher(html).find(), "no external scripts");
        final Matcher m = Pattern.compile(
                "<script type=\"application/json\" id=\"" + ReportWriters.DATA_ELEMENT_ID + "\">(.*?)</script>",
                Pattern.DOTALL).matcher(html);
        assertTrue(m.find(), "embedded data block");
        final JsonNode data = ResultJson.mapper().readTree(m.group(1));
        assertEquals("chat", data.get("scenario").asText());
        assertEquals(5000, data.get("latency").get("receipt").get("count").asLong());
        assertEquals(5, data.get("series").get("receipt").size());
        assertEquals("</script><b>x", data.get("settings").get("idPrefix").asText());
        assertEquals(5000, data.get("counters").get("chat.sent").asLong());
    }

    @Test
    void gatesFailWithTheValues() {
        final Report report = Report.of(sample(), new SloGates(Duration.ofNanos(1000), null, null));
        assertFalse(report.passed());
        assertEquals(1, report.violations().size());
        assertTrue(report.violations().get(0).startsWith("p99 receipt"));
        assertTrue(ReportWriters.table(report).contains("RESULT: FAIL"));
    }
}
