package io.switchboard.gateway.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ExposedPort;
import io.switchboard.gateway.testing.CloseStatus;
import io.switchboard.gateway.testing.DockerCheck;
import io.switchboard.gateway.testing.WsTestClient;
import io.switchboard.gateway.testing.WsTestClients;
import io.switchboard.protocol.Envelope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

/**
 * The production image, end to end: builds {@code docker/Dockerfile} from the jar that {@code package} just made,
 * starts it, waits for the image's own HEALTHCHECK to report healthy, checks the runtime properties the issue asks
 * for (non-root, java as PID 1 with the container JVM flags, heap sized from the container's memory limit), runs the
 * PROTOCOL.md §4 example session over the mapped port, then sends SIGTERM and checks the graceful drain: both
 * clients get close 1001 and the container exits 0 within the drain timeout.
 *
 * <p>Base image: {@code SWITCHBOARD_TEST_BASE_IMAGE} if set, else {@value #LOCAL_BASE_IMAGE} if the engine has it
 * (registry-free machines, made by {@code docker/build-base-image.sh}), else the Dockerfile's default. Skips, saying
 * why, when no Docker engine answers ({@link DockerCheck}: asked quietly, no Testcontainers ERROR block). On the
 * sandbox/CI machines run with {@code TESTCONTAINERS_RYUK_DISABLED=true} and
 * {@code TESTCONTAINERS_HOST_OVERRIDE=localhost} (what {@code .ci/ensure-docker.sh} prints).
 *
 * <p>The tests share one container and run in order: the second one stops it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DockerImageIT {

    private static final Logger log = LoggerFactory.getLogger(DockerImageIT.class);
    /** The gateway's own output, under io.switchboard so the test logback config shows it. */
    private static final Logger CONTAINER_LOG = LoggerFactory.getLogger(DockerImageIT.class.getName() + ".container");

    static final String LOCAL_BASE_IMAGE = "switchboard/base-jre17:bookworm";
    static final String AGENT = "cf2137234f3943e3898df8fcd14f099a__mtx";
    static final String REPLY = "同学,你好,非常高兴为你服务,有什么需要我帮忙的呢?";

    private static final int WS_PORT = 8080;
    private static final String APP_UID = "10001";
    /** The container's memory limit; the JVM must size its heap from it (MaxRAMPercentage=75). */
    private static final long MEMORY_LIMIT = 384L * 1024 * 1024;
    /** Drain bound, set through the environment like any other setting. */
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);
    /** What may come on top of the drain: Netty's event loops stopping, JVM exit, the engine noticing. */
    private static final Duration EXIT_SLACK = Duration.ofSeconds(3);
    private static final Duration TIMEOUT = WsTestClient.TIMEOUT;

    private static final String START_DOCKER =
            ". Start one (e.g. `bash .ci/ensure-docker.sh`, which also prints the TESTCONTAINERS_RYUK_DISABLED=true and"
            + " TESTCONTAINERS_HOST_OVERRIDE=localhost exports that machines without an image registry need).";

    /** Why there is no Docker engine to test with, or {@code null}. */
    private static String noDocker;
    private static String imageName;
    private static GenericContainer<?> gateway;
    private static WsTestClients clients;

    @BeforeAll
    @SuppressWarnings("deprecation") // withDockerfilePath: the Dockerfile is not at the root of its context
    static void startContainer() {
        noDocker = DockerCheck.whyUnavailable();
        if (noDocker != null) {
            return; // each test then skips with the reason (an aborted @BeforeAll would report no tests at all)
        }

        final Path root = repositoryRoot();
        final Path jar = root.resolve("gateway/target/switchboard-gateway.jar");
        assertTrue(Files.isRegularFile(jar),
                   () -> jar + " is missing: run `./mvnw package` (or `./mvnw verify`) first");

        // A tag of its own per run; removed in @AfterAll (without Ryuk, Testcontainers only prunes dangling images).
        final ImageFromDockerfile image = new ImageFromDockerfile(
                "switchboard/gateway-it:" + UUID.randomUUID().toString().substring(0, 8), false)
                // The same context `docker build -f docker/Dockerfile .` sends (.dockerignore keeps only these).
                .withFileFromPath("docker/Dockerfile", root.resolve("docker/Dockerfile"))
                .withFileFromPath("bin/switchboard", root.resolve("bin/switchboard"))
                .withFileFromPath("config/jvm.options", root.resolve("config/jvm.options"))
                .withFileFromPath("docker/healthcheck.sh", root.resolve("docker/healthcheck.sh"))
                .withFileFromPath("gateway/target/switchboard-gateway.jar", jar)
                .withDockerfilePath("docker/Dockerfile");
        final String base = baseImage();
        if (base != null) {
            image.withBuildArg("BASE_IMAGE", base);
        }
        final long buildStart = System.nanoTime();
        imageName = image.get();
        log.info("built {} on {} in {} ms", imageName, base == null ? "the Dockerfile's default base" : base,
                 (System.nanoTime() - buildStart) / 1_000_000);

        gateway = new GenericContainer<>(imageName)
                .withExposedPorts(WS_PORT)
                .withEnv("SWITCHBOARD_SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT.toSeconds() + "s")
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withMemory(MEMORY_LIMIT))
                .withLogConsumer(new Slf4jLogConsumer(CONTAINER_LOG))
                // The image's HEALTHCHECK (interval 10s), not a wait strategy of our own.
                .waitingFor(Wait.forHealthcheck().withStartupTimeout(Duration.ofSeconds(50)));
        final long startStart = System.nanoTime();
        gateway.start();
        log.info("container {} healthy after {} ms", gateway.getContainerId(),
                 (System.nanoTime() - startStart) / 1_000_000);
        clients = new WsTestClients();
    }

    @BeforeEach
    void requireDocker() {
        Assumptions.assumeTrue(noDocker == null, () -> noDocker + START_DOCKER);
    }

    @AfterAll
    static void stopContainer() {
        if (clients != null) {
            clients.close();
        }
        if (gateway != null) {
            gateway.stop();
        }
        if (imageName != null) {
            try {
                // Prunes the untagged build layers too: nothing is left behind. A rebuild from the cached base
                // image takes a few seconds.
                docker().removeImageCmd(imageName).withForce(true).exec();
            } catch (RuntimeException e) {
                log.warn("could not remove image {}: {}", imageName, e.toString());
            }
        }
    }

    @Test
    @Order(1)
    void healthyNonRootAndContainerAwareJvm() throws Exception {
        final InspectContainerResponse info = docker().inspectContainerCmd(gateway.getContainerId()).exec();
        assertEquals("healthy", info.getState().getHealth().getStatus(), "Docker health status");
        assertTrue(List.of(info.getConfig().getHealthcheck().getTest()).toString().contains("healthcheck.sh"),
                   () -> "the image's HEALTHCHECK: " + List.of(info.getConfig().getHealthcheck().getTest()));
        final List<ExposedPort> exposed = Arrays.asList(info.getConfig().getExposedPorts());
        assertTrue(exposed.contains(ExposedPort.tcp(8080)) && exposed.contains(ExposedPort.tcp(8081)),
                   () -> "EXPOSE 8080 8081, got " + exposed);

        // Non-root, by configuration and in fact.
        final String user = info.getConfig().getUser();
        assertNotNull(user, "Config.User");
        assertFalse(user.isEmpty() || user.equals("0") || user.startsWith("0:") || user.startsWith("root"),
                    () -> "the image must not run as root, Config.User is '" + user + "'");
        assertEquals(APP_UID, exec("id", "-u").trim(), "uid of processes in the container");

        // java is PID 1 (the launcher bin/switchboard execs it, so SIGTERM reaches it) with config/jvm.options' flags.
        final List<String> argv = Arrays.asList(exec("cat", "/proc/1/cmdline").split("\0"));
        assertTrue(argv.get(0).endsWith("java"), () -> "PID 1 must be java, is " + argv);
        assertTrue(argv.contains("-XX:MaxRAMPercentage=75"), () -> "PID 1 command line " + argv);
        assertTrue(argv.contains("-XX:+ExitOnOutOfMemoryError"), () -> "PID 1 command line " + argv);
        assertTrue(argv.contains("-XX:+UseSerialGC") && argv.contains("-Xms32m"), () -> "PID 1 command line " + argv);
        assertTrue(argv.contains("/opt/switchboard/switchboard-gateway.jar"), () -> "PID 1 command line " + argv);

        // Those flags are container-aware: a JVM with them, in this container, sizes its heap from the memory limit.
        final List<String> jvm = new ArrayList<>(argv.subList(0, argv.indexOf("-jar")));
        jvm.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        final String flags = exec(jvm.toArray(new String[0]));
        final Matcher m = Pattern.compile("\\bMaxHeapSize\\s*=\\s*(\\d+)").matcher(flags);
        assertTrue(m.find(), "MaxHeapSize in -XX:+PrintFlagsFinal");
        final long maxHeap = Long.parseLong(m.group(1));
        assertTrue(maxHeap >= MEMORY_LIMIT * 70 / 100 && maxHeap <= MEMORY_LIMIT * 76 / 100,
                   () -> "max heap " + maxHeap + " is not 75% of the container's " + MEMORY_LIMIT + " bytes");

        // The endpoints an orchestrator probes, over the mapped port.
        final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
        final HttpResponse<String> health = http.send(
                HttpRequest.newBuilder(httpUri("/healthz")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health::body);
        assertTrue(health.body().contains("\"status\":\"UP\""), health::body);
        final HttpResponse<String> ready = http.send(
                HttpRequest.newBuilder(httpUri("/readyz")).timeout(TIMEOUT).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, ready.statusCode(), ready::body);
    }

    @Test
    @Order(2)
    void exampleSessionThenSigtermDrainsAndExitsZero() throws Exception {
        try (WsTestClient agent = WsTestClient.connect(clients, wsUri(AGENT + "?role=agent"));
             WsTestClient admin = WsTestClient.connect(clients, wsUri("admin"))) {

            // PROTOCOL.md §4. 2: match
            admin.sendText("{\"type\":\"match\",\"from\":\"admin\",\"to\":\"system\"}");
            assertMessage(admin.next("match", TIMEOUT), "0", "system", "admin", AGENT);
            assertMessage(agent.next("match", TIMEOUT), "0", "system", AGENT, "admin");

            // 3. hello: "push success" for admin, the message for the agent
            admin.sendText("{\"type\":\"normal\",\"from\":\"admin\",\"to\":\"" + AGENT + "\",\"msg\":\"你好\"}");
            assertMessage(admin.next("receipt", TIMEOUT), "0", "system", "admin", "push success");
            assertMessage(agent.next("normal", TIMEOUT), "0", "admin", AGENT, "你好");

            // 4. the agent's reply reaches admin as a normal from the agent
            agent.sendText("{\"type\":\"normal\",\"to\":\"admin\",\"msg\":\"" + REPLY + "\"}");
            assertMessage(agent.next("receipt", TIMEOUT), "0", "system", AGENT, "push success");
            assertMessage(admin.next("normal", TIMEOUT), "0", AGENT, "admin", REPLY);

            // 5. an empty msg: a failed receipt, nothing delivered
            admin.sendText("{\"type\":\"normal\",\"to\":\"" + AGENT + "\",\"msg\":\"\"}");
            final Envelope empty = admin.next("receipt", TIMEOUT);
            assertEquals("1", empty.code(), () -> "code of " + empty);
            assertEquals("消息内容为空", empty.msg(), () -> "msg of " + empty);
            assertEquals("EMPTY_MSG", empty.reason(), () -> "reason of " + empty);
            agent.assertNoMessage(Duration.ofMillis(200));

            // SIGTERM, as `docker stop` sends it: the drain closes every session with 1001 and the JVM exits 0.
            final String id = gateway.getContainerId();
            final long sigterm = System.nanoTime();
            docker().killContainerCmd(id).withSignal("SIGTERM").exec();
            final Duration closeWithin = SHUTDOWN_TIMEOUT.plus(EXIT_SLACK);
            final CloseStatus adminClose = admin.awaitClose(closeWithin);
            final CloseStatus agentClose = agent.awaitClose(closeWithin);
            assertEquals(1001, adminClose.code(), () -> "admin's close " + adminClose);
            assertEquals(1001, agentClose.code(), () -> "agent's close " + agentClose);

            final InspectContainerResponse.ContainerState state = awaitExit(id, closeWithin);
            final long exitedMillis = (System.nanoTime() - sigterm) / 1_000_000;
            log.info("SIGTERM to exit: {} ms (clients closed with {} and {})", exitedMillis, adminClose,
                     agentClose);
            assertEquals(0L, state.getExitCodeLong(), () -> "exit code after SIGTERM; logs:\n" + gateway.getLogs());
            assertFalse(Boolean.TRUE.equals(state.getOOMKilled()), "OOM-killed");
        }
    }

    private static void assertMessage(Envelope e, String code, String from, String to, String msg) {
        assertEquals(code, e.code(), () -> "code of " + e);
        assertEquals(from, e.from(), () -> "from of " + e);
        assertEquals(to, e.to(), () -> "to of " + e);
        assertEquals(msg, e.msg(), () -> "msg of " + e);
        assertNull(e.reason(), () -> "reason of " + e);
        assertNotNull(e.msgId(), () -> "msgId of " + e);
        assertTrue(e.timestamp() != null && e.timestamp().matches("[0-9]{13}"), () -> "timestamp of " + e);
    }

    /** Waits for the container to stop running; fails if it still runs after {@code within}. */
    private static InspectContainerResponse.ContainerState awaitExit(String id, Duration within)
            throws InterruptedException {
        final long deadline = System.nanoTime() + within.toNanos();
        while (true) {
            final InspectContainerResponse.ContainerState state = docker().inspectContainerCmd(id).exec().getState();
            if (!Boolean.TRUE.equals(state.getRunning())) {
                return state;
            }
            if (System.nanoTime() > deadline) {
                return fail("container still running " + within.toMillis() + " ms after SIGTERM; logs:\n"
                            + gateway.getLogs());
            }
            Thread.sleep(50);
        }
    }

    /** Runs a command in the container as its default user; fails on a non-zero exit. */
    private static String exec(String... command) throws Exception {
        final ExecResult result = gateway.execInContainer(command);
        assertEquals(0, result.getExitCode(),
                     () -> String.join(" ", command) + " failed: " + result.getStdout() + result.getStderr());
        return result.getStdout();
    }

    private static URI wsUri(String userAndQuery) {
        return URI.create("ws://" + gateway.getHost() + ':' + gateway.getMappedPort(WS_PORT) + "/pinter/imserver/"
                          + userAndQuery);
    }

    private static URI httpUri(String path) {
        return URI.create("http://" + gateway.getHost() + ':' + gateway.getMappedPort(WS_PORT) + path);
    }

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    /** {@code SWITCHBOARD_TEST_BASE_IMAGE}, else the local registry-free base if present, else null (default). */
    private static String baseImage() {
        final String configured = System.getenv("SWITCHBOARD_TEST_BASE_IMAGE");
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        try {
            docker().inspectImageCmd(LOCAL_BASE_IMAGE).exec();
            return LOCAL_BASE_IMAGE;
        } catch (NotFoundException e) {
            return null;
        }
    }

    /** The directory holding docker/Dockerfile: the module's parent when run by Maven, found by walking up. */
    private static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docker/Dockerfile"))) {
                return dir;
            }
        }
        return fail("docker/Dockerfile not found above " + Path.of("").toAbsolutePath());
    }
}
