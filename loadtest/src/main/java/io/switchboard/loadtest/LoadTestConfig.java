package io.switchboard.loadtest;

import static java.util.Objects.requireNonNull;

import io.switchboard.loadtest.report.SloGates;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The immutable settings of one run (or of one worker's slice of it), validated on construction.
 *
 * @param url               base endpoint, e.g. {@code ws://127.0.0.1:8080/pinter/imserver}; userIds are appended
 * @param idPrefix          prefix of every userId, so that concurrent runs do not collide
 * @param agents            agents in the whole run
 * @param users             users in the whole run
 * @param rate              total user messages per second of the whole run; {@code null} = closed loop ("max")
 * @param duration          the measured window (chat) or the hold time (connections)
 * @param warmup            time before the measured window
 * @param drain             longest wait for outstanding receipts and replies after sending stops
 * @param connectRate       connects per second of the whole run
 * @param maxInFlight       most handshakes outstanding at once in the whole run
 * @param source            source address spec ({@code 127.0.0.2-127.0.0.40}), or {@code null}
 * @param workers           worker processes to fork (1 = run in this process)
 * @param payloadBytes      size of each chat message's text
 * @param pingInterval      interval of application pings in the connections scenario
 * @param agentCapacity     users one agent serves at most (the gateway's capacity setting)
 * @param ioThreads         event-loop threads (0 = Netty's default)
 * @param reportJson        JSON report file, or {@code null}
 * @param reportHtml        HTML report file, or {@code null}
 * @param gates             SLO gates
 * @param sliceIndex        this process's slice (0-based)
 * @param sliceCount        number of slices (1 unless this is a worker)
 * @param ack               chat: connect with {@code ?ack=1} ({@code PROTOCOL.md} §5), acknowledge what is received,
 *                          reconnect with {@code since} after a drop
 * @param tlsCa             {@code wss://}: PEM certificates to trust instead of the JDK's defaults, or {@code null}
 * @param tlsInsecure       {@code wss://}: trust any certificate and skip the host name check (a local test only)
 * @param agentUrl          base endpoint of the agents' connections, or {@code null}: the same as {@code url}. With
 *                          two cluster nodes, users on one and agents on the other make every message cross nodes
 */
public record LoadTestConfig(URI url, String idPrefix, int agents, int users, Double rate, Duration duration,
                             Duration warmup, Duration drain, double connectRate, int maxInFlight, String source,
                             int workers, int payloadBytes, Duration pingInterval, int agentCapacity, int ioThreads,
                             Path reportJson, Path reportHtml, SloGates gates, int sliceIndex, int sliceCount,
                             boolean ack, Path tlsCa, boolean tlsInsecure, URI agentUrl) {

    public LoadTestConfig {
        requireNonNull(url, "url");
        requireNonNull(idPrefix, "idPrefix");
        requireNonNull(duration, "duration");
        requireNonNull(warmup, "warmup");
        requireNonNull(drain, "drain");
        requireNonNull(pingInterval, "pingInterval");
        requireNonNull(gates, "gates");
        if (!("ws".equalsIgnoreCase(url.getScheme()) || "wss".equalsIgnoreCase(url.getScheme()))
            || url.getHost() == null) {
            throw new IllegalArgumentException("--url: " + url + " (expected ws://host:port/path or wss://...)");
        }
        // One TLS setting (tls(), --tls-ca) serves both endpoints, so they must agree on the scheme.
        if (agentUrl != null && (!url.getScheme().equalsIgnoreCase(agentUrl.getScheme())
                                 || agentUrl.getHost() == null)) {
            throw new IllegalArgumentException("--agent-url: " + agentUrl + " (expected " + url.getScheme()
                                               + "://host:port/path, the scheme of --url)");
        }
        check(!(tlsCa != null && tlsInsecure), "--tls-ca with --tls-insecure", tlsCa, "one or the other");
        if (!idPrefix.matches("[A-Za-z0-9_.]{1,32}")) {
            throw new IllegalArgumentException("--id-prefix: '" + idPrefix + "' (expected 1..32 of [A-Za-z0-9_.])");
        }
        check(agents >= 0, "--agents", agents, ">= 0");
        check(users >= 0, "--users", users, ">= 0");
        check(agents + users > 0, "--agents + --users", agents + users, "> 0");
        check(rate == null || rate > 0, "--rate", rate, "> 0 or max");
        check(!duration.isNegative() && !duration.isZero(), "--duration", duration, "> 0");
        check(!warmup.isNegative(), "--warmup", warmup, ">= 0");
        check(!drain.isNegative(), "--drain", drain, ">= 0");
        check(connectRate > 0, "--connect-rate", connectRate, "> 0");
        check(maxInFlight > 0, "--max-inflight-handshakes", maxInFlight, "> 0");
        check(workers >= 1, "--workers", workers, ">= 1");
        check(payloadBytes >= 48 && payloadBytes <= 4096, "--payload-bytes", payloadBytes, "48..4096");
        check(!pingInterval.isNegative() && !pingInterval.isZero(), "--ping-interval", pingInterval, "> 0");
        check(agentCapacity > 0, "--agent-capacity", agentCapacity, "> 0");
        check(ioThreads >= 0, "--io-threads", ioThreads, ">= 0");
        check(sliceCount >= 1 && sliceIndex >= 0 && sliceIndex < sliceCount, "--worker-slice",
                sliceIndex + "/" + sliceCount, "i/n with 0 <= i < n");
    }

    /** A run with every connection on {@code url}. */
    public LoadTestConfig(URI url, String idPrefix, int agents, int users, Double rate, Duration duration,
                          Duration warmup, Duration drain, double connectRate, int maxInFlight, String source,
                          int workers, int payloadBytes, Duration pingInterval, int agentCapacity, int ioThreads,
                          Path reportJson, Path reportHtml, SloGates gates, int sliceIndex, int sliceCount,
                          boolean ack, Path tlsCa, boolean tlsInsecure) {
        this(url, idPrefix, agents, users, rate, duration, warmup, drain, connectRate, maxInFlight, source, workers,
                payloadBytes, pingInterval, agentCapacity, ioThreads, reportJson, reportHtml, gates, sliceIndex,
                sliceCount, ack, tlsCa, tlsInsecure, null);
    }

    /** A run without {@code --ack}, every connection on {@code url}. */
    public LoadTestConfig(URI url, String idPrefix, int agents, int users, Double rate, Duration duration,
                          Duration warmup, Duration drain, double connectRate, int maxInFlight, String source,
                          int workers, int payloadBytes, Duration pingInterval, int agentCapacity, int ioThreads,
                          Path reportJson, Path reportHtml, SloGates gates, int sliceIndex, int sliceCount) {
        this(url, idPrefix, agents, users, rate, duration, warmup, drain, connectRate, maxInFlight, source, workers,
                payloadBytes, pingInterval, agentCapacity, ioThreads, reportJson, reportHtml, gates, sliceIndex,
                sliceCount, false, null, false);
    }

    /** Whether the run connects over TLS ({@code wss://}). */
    public boolean tls() {
        return "wss".equalsIgnoreCase(url.getScheme());
    }

    private static void check(boolean ok, String option, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException(option + ": " + value + " (expected " + expected + ')');
        }
    }

    /** The first global user index of this slice. */
    public int firstUser() {
        return (int) ((long) users * sliceIndex / sliceCount);
    }

    /** The end (exclusive) of this slice's global user indices. */
    public int endUser() {
        return (int) ((long) users * (sliceIndex + 1) / sliceCount);
    }

    public int firstAgent() {
        return (int) ((long) agents * sliceIndex / sliceCount);
    }

    public int endAgent() {
        return (int) ((long) agents * (sliceIndex + 1) / sliceCount);
    }

    /** This slice's share of the connect rate. */
    public double sliceConnectRate() {
        return connectRate / sliceCount;
    }

    /** This slice's share of the in-flight handshake bound (at least 1). */
    public int sliceMaxInFlight() {
        return Math.max(1, maxInFlight / sliceCount);
    }

    /** Whether this is the closed-loop mode ({@code --rate max}). */
    public boolean closedLoop() {
        return rate == null;
    }

    /** The userId of global user {@code i}. */
    public String userId(int i) {
        return idPrefix + "-u-" + i;
    }

    /** The userId of global agent {@code i}. */
    public String agentId(int i) {
        return idPrefix + "-a-" + i;
    }

    /** This config with the agents on {@code agentUrl} ({@code null}: on {@code url}, like the users). */
    public LoadTestConfig withAgentUrl(URI agentUrl) {
        return new LoadTestConfig(url, idPrefix, agents, users, rate, duration, warmup, drain, connectRate,
                maxInFlight, source, workers, payloadBytes, pingInterval, agentCapacity, ioThreads, reportJson,
                reportHtml, gates, sliceIndex, sliceCount, ack, tlsCa, tlsInsecure, agentUrl);
    }

    /**
     * The connection URI of {@code userId}, with {@code ?role=agent} for agents; agents connect to {@code agentUrl}
     * when it is set.
     */
    public URI connectUri(String userId, boolean agent) {
        String base = (agent && agentUrl != null ? agentUrl : url).toString();
        if (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        return URI.create(base + '/' + userId + (agent ? "?role=agent" : ""));
    }

    /**
     * The connection URI of {@code userId} in {@code --ack} mode: {@code ?ack=1}, with {@code role=agent} for agents
     * and {@code since} when it is known ({@code since < 0}: none).
     */
    public URI connectUri(String userId, boolean agent, long since) {
        final URI plain = connectUri(userId, agent);
        return URI.create(plain + (agent ? "&" : "?") + "ack=1" + (since >= 0 ? "&since=" + since : ""));
    }

    /** This config restricted to slice {@code index} of {@code count} (a worker's share). */
    public LoadTestConfig slice(int index, int count) {
        return new LoadTestConfig(url, idPrefix, agents, users, rate, duration, warmup, drain, connectRate,
                maxInFlight, source, 1, payloadBytes, pingInterval, agentCapacity, ioThreads, null, null, gates,
                index, count, ack, tlsCa, tlsInsecure, agentUrl);
    }

    /** The settings shown in reports. */
    public Map<String, String> describe(String scenario) {
        final Map<String, String> m = new LinkedHashMap<>();
        m.put("scenario", scenario);
        m.put("url", url.toString());
        if (agentUrl != null) {
            // Only when set: the settings of a run with one endpoint stay exactly as they were.
            m.put("agentUrl", agentUrl.toString());
        }
        m.put("idPrefix", idPrefix);
        m.put("agents", Integer.toString(agents));
        m.put("users", Integer.toString(users));
        m.put("rate", rate == null ? "max" : String.valueOf(rate.longValue() == rate ? rate.longValue() : rate));
        m.put("duration", duration.toString());
        m.put("warmup", warmup.toString());
        m.put("connectRate", String.valueOf(connectRate));
        m.put("maxInflightHandshakes", Integer.toString(maxInFlight));
        m.put("source", source == null ? "" : source);
        m.put("workers", Integer.toString(Math.max(workers, sliceCount)));
        m.put("payloadBytes", Integer.toString(payloadBytes));
        m.put("pingInterval", pingInterval.toString());
        if (tls()) {
            m.put("tlsTrust", tlsInsecure ? "insecure" : tlsCa == null ? "jdk default" : tlsCa.toString());
        }
        if (ack) {
            // Only when on: the settings of a run without --ack stay exactly as they were.
            m.put("ack", "true");
        }
        return m;
    }
}
