package io.switchboard.gateway.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * Plain HTTP calls to a gateway listener for ITs (the JDK client: an independent implementation of HTTP/1.1), and
 * the readers tests use instead of the server's internals: JSON from {@code /api/v1}, series from {@code /metrics}.
 */
public final class HttpTestClient {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http;
    private final URI base;
    private final String key;

    public HttpTestClient(URI base, String key) {
        this(base, key, null);
    }

    /** A client of an {@code https://} base that trusts what {@code tls} trusts ({@code null}: the JDK's default). */
    public HttpTestClient(URI base, String key, SSLContext tls) {
        this.base = base;
        this.key = key;
        final HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                               .connectTimeout(TIMEOUT);
        http = (tls == null ? b : b.sslContext(tls)).build();
    }

    public HttpResponse<String> get(String path) {
        return send(builder(path).GET());
    }

    public HttpResponse<String> delete(String path) {
        return send(builder(path).DELETE());
    }

    public HttpResponse<String> post(String path, String json) {
        return send(builder(path).header("Content-Type", "application/json")
                                 .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** GET {@code path}, which must answer 200, as JSON (e.g. {@code /api/v1/stats}, {@code /api/v1/users/u1}). */
    public JsonNode json(String path) {
        final HttpResponse<String> res = get(path);
        assertEquals(200, res.statusCode(), () -> "GET " + path + ": " + res.body());
        try {
            return JSON.readTree(res.body());
        } catch (IOException e) {
            throw new AssertionError("GET " + path + " is not JSON: " + res.body(), e);
        }
    }

    /** The value of one series of {@code GET /metrics}, e.g. {@code switchboard_webhooks_failed_total}. */
    public double metric(String series) {
        return metric(metricsText(), series);
    }

    /** The sum of every series of metric {@code name} of {@code GET /metrics}, whatever their labels. */
    public double metricSum(String name) {
        final Matcher m = Pattern.compile("^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? ([0-9.E+-]+)$",
                                          Pattern.MULTILINE).matcher(metricsText());
        double sum = 0;
        boolean found = false;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
            found = true;
        }
        assertTrue(found, "no series " + name);
        return sum;
    }

    private String metricsText() {
        final HttpResponse<String> res = get("/metrics");
        assertEquals(200, res.statusCode(), res::body);
        return res.body();
    }

    /** The value of {@code series} (name and labels, exactly as printed) in a Prometheus text {@code text}. */
    public static double metric(String text, String series) {
        final Matcher m = Pattern.compile("^" + Pattern.quote(series) + " ([0-9.E+-]+)$", Pattern.MULTILINE)
                                 .matcher(text);
        assertTrue(m.find(), "no series " + series);
        return Double.parseDouble(m.group(1));
    }

    public HttpTestClient withKey(String otherKey) {
        return new HttpTestClient(base, otherKey);
    }

    private HttpRequest.Builder builder(String path) {
        final HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(TIMEOUT);
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return b;
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("HTTP call failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
