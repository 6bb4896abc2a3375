package io.switchboard.loadtest;

import io.switchboard.loadtest.client.ClientConnector;
import io.switchboard.loadtest.client.ClientOptions;
import io.switchboard.loadtest.client.ClientResources;
import io.switchboard.loadtest.client.TlsClient;
import io.switchboard.loadtest.report.Report;
import io.switchboard.loadtest.report.ReportWriters;
import io.switchboard.loadtest.report.ResultJson;
import io.switchboard.loadtest.report.RunResult;
import io.switchboard.loadtest.report.SloGates;
import io.switchboard.loadtest.scenario.ChatScenario;
import io.switchboard.loadtest.scenario.ConnectionsScenario;
import io.switchboard.loadtest.scenario.QueueScenario;
import io.switchboard.loadtest.scenario.Scenario;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The load tester's command line: {@code chat}, {@code connections} and {@code queue} scenarios against a Switchboard
 * gateway.
 *
 * <p>Exit codes: 0 the run passed its SLO gates, 3 a gate failed, 1 the run itself failed, 2 bad usage.
 */
@Command(name = "switchboard-loadtest", mixinStandardHelpOptions = true, version = "switchboard-loadtest 0.1",
        description = "Load generator for the Switchboard WebSocket gateway.",
        subcommands = {LoadTestMain.ChatCommand.class, LoadTestMain.ConnectionsCommand.class,
            LoadTestMain.QueueCommand.class},
        footerHeading = "%nEach scenario lists its options: switchboard-loadtest chat --help, "
                + "switchboard-loadtest connections --help, switchboard-loadtest queue --help.%n",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:passed", "1:run failed", "2:bad usage", "3:an SLO gate failed"})
public final class LoadTestMain implements Runnable {

    /** Exit code when an SLO gate fails. */
    public static final int EXIT_SLO_FAILED = 3;
    /** Exit code when the run itself fails. */
    public static final int EXIT_FAILED = 1;

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line without exiting the JVM; returns the exit code. */
    public static int execute(String... args) {
        return new CommandLine(new LoadTestMain()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "choose a scenario: chat, connections or queue");
    }

    /** Options every scenario has; each scenario adds its own (see its {@code --help}). */
    static final class CommonOptions {
        @Option(names = "--url", defaultValue = "ws://127.0.0.1:8080/pinter/imserver",
                description = "Base WebSocket endpoint; userIds are appended (default: ${DEFAULT-VALUE}).")
        URI url;
        @Option(names = "--agent-url", description = "Base WebSocket endpoint of the agents (default: --url). With "
                + "two cluster nodes, users on --url and agents here: every message crosses nodes.")
        URI agentUrl;
        @Option(names = "--agents", defaultValue = "10", description = "Agents in the run (default: ${DEFAULT-VALUE}).")
        int agents;
        @Option(names = "--users", defaultValue = "100", description = "Users in the run (default: ${DEFAULT-VALUE}).")
        int users;
        @Option(names = "--warmup", defaultValue = "5s", converter = DurationConverter.class,
                description = "Time before the measured window (default: ${DEFAULT-VALUE}).")
        Duration warmup;
        @Option(names = "--drain", defaultValue = "5s", converter = DurationConverter.class,
                description = "Longest wait for outstanding answers after sending stops (default: ${DEFAULT-VALUE}).")
        Duration drain;
        @Option(names = "--connect-rate", defaultValue = "2000",
                description = "Connects per second, jittered (default: ${DEFAULT-VALUE}).")
        double connectRate;
        @Option(names = "--max-inflight-handshakes", defaultValue = "500",
                description = "Most handshakes outstanding at once (default: ${DEFAULT-VALUE}).")
        int maxInFlight;
        @Option(names = "--source", description = "Source addresses to bind, round-robin, e.g. 127.0.0.2-127.0.0.40.")
        String source;
        @Option(names = "--workers", defaultValue = "1",
                description = "Worker JVMs to fork, each with a slice of users and agents (default: ${DEFAULT-VALUE}).")
        int workers;
        @Option(names = "--id-prefix", defaultValue = "lt",
                description = "Prefix of every userId, so concurrent runs do not collide (default: ${DEFAULT-VALUE}).")
        String idPrefix;
        @Option(names = "--io-threads", defaultValue = "0",
                description = "Event-loop threads; 0 = 2 x cores (default: ${DEFAULT-VALUE}).")
        int ioThreads;
        @Option(names = "--report-json", description = "Write the JSON report here.")
        Path reportJson;
        @Option(names = "--report-html", description = "Write the self-contained HTML report here.")
        Path reportHtml;
        @Option(names = "--max-error-rate", description = "SLO: exit 3 if errors / (sent + connects) exceeds this.")
        Double maxErrorRate;
        @Option(names = "--tls-ca", description = "wss:// only: PEM certificate(s) to trust, e.g. the gateway's own "
                + "self-signed one (default: the JDK's trusted authorities).")
        Path tlsCa;
        @Option(names = "--tls-insecure", description = "wss:// only: trust any certificate, skip the host name check "
                + "(local tests only).")
        boolean tlsInsecure;
        @Option(names = "--worker-slice", hidden = true, description = "Internal: run as worker i of n (i/n).")
        String workerSlice;

        /** Builds the run's settings from these options and the scenario's own. */
        LoadTestConfig toConfig(Duration duration, Double rate, int payloadBytes, Duration pingInterval,
                                int agentCapacity, Duration maxP99, Long maxLost, boolean ack) {
            int index = 0;
            int count = 1;
            if (workerSlice != null) {
                final String[] parts = workerSlice.split("/");
                index = Integer.parseInt(parts[0]);
                count = Integer.parseInt(parts[1]);
            }
            return new LoadTestConfig(url, idPrefix, agents, users, rate, duration, warmup, drain, connectRate,
                    maxInFlight, source, workerSlice != null ? 1 : workers, payloadBytes, pingInterval,
                    agentCapacity, ioThreads, reportJson, reportHtml, new SloGates(maxP99, maxErrorRate, maxLost),
                    index, count, ack, tlsCa, tlsInsecure, agentUrl);
        }

        boolean isWorker() {
            return workerSlice != null;
        }
    }

    @Command(name = "chat", mixinStandardHelpOptions = true,
            description = "Users match agents and send sequence-numbered messages; agents answer each one.")
    static final class ChatCommand implements Callable<Integer> {
        @Mixin
        CommonOptions common = new CommonOptions();
        @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
                description = "Measured window, after the warmup (default: ${DEFAULT-VALUE}).")
        Duration duration;
        @Option(names = "--rate", defaultValue = "1000",
                description = "Total user messages per second (open loop), or 'max' (closed loop) "
                        + "(default: ${DEFAULT-VALUE}).")
        String rate;
        @Option(names = "--payload-bytes", defaultValue = "64",
                description = "Size of each message's text (default: ${DEFAULT-VALUE}).")
        int payloadBytes;
        @Option(names = "--agent-capacity", defaultValue = "50",
                description = "Users one agent serves, the gateway's setting (default: ${DEFAULT-VALUE}).")
        int agentCapacity;
        @Option(names = "--max-p99", converter = DurationConverter.class,
                description = "SLO: exit 3 if the p99 of send->receipt exceeds this.")
        Duration maxP99;
        @Option(names = "--max-lost", description = "SLO: exit 3 if more messages than this are lost.")
        Long maxLost;
        @Option(names = "--ack", description = "Acknowledged delivery (PROTOCOL.md section 5): connect with ?ack=1, "
                + "acknowledge what arrives, reconnect with since after a drop and resend unanswered messages; the "
                + "report adds duplicates suppressed by seq, seq gaps and reconnects.")
        boolean ack;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            final Double r;
            if ("max".equalsIgnoreCase(rate)) {
                r = null;
            } else {
                try {
                    r = Double.valueOf(rate);
                } catch (NumberFormatException e) {
                    throw new CommandLine.ParameterException(spec.commandLine(),
                            "--rate: '" + rate + "' (expected a number or max)");
                }
            }
            final LoadTestConfig config = config(spec, () -> common.toConfig(duration, r, payloadBytes,
                    Duration.ofSeconds(10), agentCapacity, maxP99, maxLost, ack));
            if ((long) config.users() > (long) config.agents() * config.agentCapacity()) {
                System.err.printf("warning: %d users but %d agents x capacity %d = %d places: the rest will get "
                                + "NO_AGENT; use --agents %d or more%n", config.users(), config.agents(),
                        config.agentCapacity(), (long) config.agents() * config.agentCapacity(),
                        (config.users() + config.agentCapacity() - 1) / config.agentCapacity());
            }
            return LoadTestMain.run(spec, common, config);
        }
    }

    @Command(name = "connections", mixinStandardHelpOptions = true,
            description = "Open many connections (users matched), hold them while pinging, report connect figures.")
    static final class ConnectionsCommand implements Callable<Integer> {
        @Mixin
        CommonOptions common = new CommonOptions();
        @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
                description = "How long the connections are held, after the warmup (default: ${DEFAULT-VALUE}).")
        Duration duration;
        @Option(names = "--ping-interval", defaultValue = "10s", converter = DurationConverter.class,
                description = "Interval of {\"type\":\"ping\"} per connection (default: ${DEFAULT-VALUE}).")
        Duration pingInterval;
        @Option(names = "--max-p99", converter = DurationConverter.class,
                description = "SLO: exit 3 if the p99 of the time to establish a connection exceeds this.")
        Duration maxP99;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            // No chat messages here: payload size, agent capacity and lost messages do not apply (the values
            // passed are the chat defaults and "no gate").
            final LoadTestConfig config = config(spec, () -> common.toConfig(duration, null, 64, pingInterval,
                    50, maxP99, null, false));
            return LoadTestMain.run(spec, common, config);
        }
    }

    @Command(name = "queue", mixinStandardHelpOptions = true,
            description = {"More users than the agents can serve at once: every user asks for an agent with match "
                    + "and \"msg\":\"queue\" (PROTOCOL.md section 6), waits in the gateway's queue, has a short "
                    + "conversation once matched (--messages, each answered by the agent), leaves, and queues again "
                    + "after --think-time until the run stops. Reports the wait (match request to match) as "
                    + "percentiles, with the receipt and reply latencies.",
                "Give the gateway's agent-capacity as --agent-capacity; with --users above --agents x capacity a "
                    + "queue forms. The gateway's queue-max and queue-timeout bound it (QUEUE_FULL, QUEUE_TIMEOUT "
                    + "are counted as queue.refused.*)."})
    static final class QueueCommand implements Callable<Integer> {
        @Mixin
        CommonOptions common = new CommonOptions();
        @Option(names = "--duration", defaultValue = "30s", converter = DurationConverter.class,
                description = "Measured window, after the warmup (default: ${DEFAULT-VALUE}).")
        Duration duration;
        @Option(names = "--agent-capacity", defaultValue = "50",
                description = "Users one agent serves, the gateway's setting (default: ${DEFAULT-VALUE}).")
        int agentCapacity;
        @Option(names = "--messages", defaultValue = "3",
                description = "Messages per conversation; each waits for the agent's reply, then the user leaves "
                        + "(default: ${DEFAULT-VALUE}).")
        int messages;
        @Option(names = "--think-time", defaultValue = "100ms", converter = DurationConverter.class,
                description = "Pause after each reply, and between leaving and queueing again "
                        + "(default: ${DEFAULT-VALUE}).")
        Duration thinkTime;
        @Option(names = "--payload-bytes", defaultValue = "64",
                description = "Size of each message's text (default: ${DEFAULT-VALUE}).")
        int payloadBytes;
        @Option(names = "--max-p99", converter = DurationConverter.class,
                description = "SLO: exit 3 if the p99 of the queue wait (match request to match) exceeds this.")
        Duration maxP99;
        @Option(names = "--max-lost", description = "SLO: exit 3 if more messages than this go unanswered.")
        Long maxLost;
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            final LoadTestConfig config = config(spec, () -> common.toConfig(duration, null, payloadBytes,
                    Duration.ofSeconds(10), agentCapacity, maxP99, maxLost, false));
            final QueueScenario.Options options;
            try {
                options = new QueueScenario.Options(messages, thinkTime);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            final long places = (long) config.agents() * config.agentCapacity();
            if (config.users() <= places) {
                System.err.printf("warning: %d users and %d agents x capacity %d = %d places: nobody will wait; "
                        + "use more --users for a queue%n", config.users(), config.agents(),
                        config.agentCapacity(), places);
            }
            return LoadTestMain.run(spec, common, config,
                    (c, resources, connector) -> new QueueScenario(c, resources, connector, options));
        }
    }

    /** Builds a scenario of one process. */
    @FunctionalInterface
    interface ScenarioFactory {
        Scenario create(LoadTestConfig config, ClientResources resources, ClientConnector connector);
    }

    /** The factory of the {@code chat} or {@code connections} scenario. */
    static ScenarioFactory factory(String scenarioName) {
        return "chat".equals(scenarioName) ? ChatScenario::new : ConnectionsScenario::new;
    }

    private static LoadTestConfig config(CommandLine.Model.CommandSpec spec,
                                         java.util.function.Supplier<LoadTestConfig> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private static int run(CommandLine.Model.CommandSpec spec, CommonOptions common, LoadTestConfig config)
            throws Exception {
        return run(spec, common, config, factory(spec.name()));
    }

    private static int run(CommandLine.Model.CommandSpec spec, CommonOptions common, LoadTestConfig config,
                           ScenarioFactory factory) throws Exception {
        final PrintStream out = spec.commandLine().getOut() == null ? System.out : System.out;
        if (common.isWorker()) {
            return runWorker(factory, config, out);
        }
        final RunResult result;
        if (config.workers() > 1) {
            final List<String> args = spec.root().commandLine().getParseResult().originalArgs();
            result = new WorkerCoordinator(config, args, System.err).run();
        } else {
            final ProgressPrinter printer = new ProgressPrinter(System.err);
            result = runLocal(factory, config, s -> printer.print(List.of(s)), System::currentTimeMillis);
        }
        return finish(result, config, out);
    }

    /** Runs the whole scenario in this process; returns the raw result. Used by the CLI and by tests. */
    static RunResult runLocal(String scenarioName, LoadTestConfig config, Consumer<ProgressSnapshot> progress,
                              ScenarioRunner.StartGate gate) throws InterruptedException {
        return runLocal(factory(scenarioName), config, progress, gate);
    }

    /** Runs the scenario {@code factory} builds in this process; returns the raw result. */
    static RunResult runLocal(ScenarioFactory factory, LoadTestConfig config, Consumer<ProgressSnapshot> progress,
                              ScenarioRunner.StartGate gate) throws InterruptedException {
        try (ClientResources resources = ClientResources.create(config.ioThreads())) {
            final ClientConnector connector = ClientConnector.of(resources, ClientOptions.defaults(
                    config.tls() ? TlsClient.context(config.tlsCa(), config.tlsInsecure()) : null));
            final Scenario scenario = factory.create(config, resources, connector);
            return new ScenarioRunner(config, scenario, progress, gate).run();
        }
    }

    private static int runWorker(ScenarioFactory factory, LoadTestConfig config, PrintStream out) throws Exception {
        final Object lock = new Object();
        final Consumer<ProgressSnapshot> progress = s -> {
            final String line;
            try {
                line = ResultJson.mapper().writeValueAsString(s);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            synchronized (lock) {
                out.println(WorkerCoordinator.PROGRESS + line);
                out.flush();
            }
        };
        final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        final ScenarioRunner.StartGate gate = () -> {
            synchronized (lock) {
                out.println(WorkerCoordinator.READY);
                out.flush();
            }
            try {
                final String line = in.readLine();
                if (line == null || !line.startsWith(WorkerCoordinator.GO)) {
                    throw new IllegalStateException("expected '" + WorkerCoordinator.GO + "<epochMillis>', got "
                            + line);
                }
                return Long.parseLong(line.substring(WorkerCoordinator.GO.length()).trim());
            } catch (java.io.IOException e) {
                throw new IllegalStateException("coordinator went away", e);
            }
        };
        final RunResult result = runLocal(factory, config, progress, gate);
        synchronized (lock) {
            out.println(WorkerCoordinator.RESULT + ResultJson.toLine(result));
            out.flush();
        }
        return 0;
    }

    /** Prints the table, writes the reports, applies the gates; returns the exit code. */
    static int finish(RunResult result, LoadTestConfig config, PrintStream out) throws java.io.IOException {
        final Report report = Report.of(result, config.gates());
        out.print(ReportWriters.table(report));
        out.flush();
        if (config.reportJson() != null) {
            ReportWriters.writeJson(report, config.reportJson());
        }
        if (config.reportHtml() != null) {
            ReportWriters.writeHtml(report, config.reportHtml());
        }
        if (!report.passed()) {
            for (String v : report.violations()) {
                System.err.println("SLO violated: " + v);
            }
            return EXIT_SLO_FAILED;
        }
        return 0;
    }
}
