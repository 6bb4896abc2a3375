package io.switchboard.gateway;

import io.switchboard.gateway.config.ConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The command line: {@code bin/switchboard [--help] [--config FILE] [--port N] ...} (the launcher runs
 * {@code java <config/jvm.options> $JAVA_OPTS -jar switchboard-gateway.jar}).
 * SIGTERM and SIGINT start a graceful drain; the process then exits 0.
 */
public final class SwitchboardMain {

    private static final Logger logger = LoggerFactory.getLogger(SwitchboardMain.class);

    private SwitchboardMain() {}

    public static void main(String[] args) throws InterruptedException {
        final ConfigLoader.Result result = ConfigLoader.load(args, System.getenv());
        if (!result.shouldStart()) {
            if (result.exitCode() == 0) {
                System.out.println(result.output());
            } else {
                System.err.println(result.output());
            }
            System.exit(result.exitCode());
            return;
        }
        final GatewayServer server;
        try {
            server = new GatewayServer(result.config()).start();
        } catch (IllegalStateException | IllegalArgumentException e) {
            // What the configuration names but cannot be used: a port in use, a key or certificate file.
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> drainAndHalt(server), "switchboard-shutdown"));
        // main returns; the event-loop threads keep the JVM alive until a signal or System.exit.
    }

    /**
     * Runs as the JVM's shutdown hook, i.e. on SIGTERM, SIGINT or SIGHUP (and on {@code System.exit}): drains the
     * gateway, then halts with status 0.
     *
     * <p>Why a shutdown hook and not {@code sun.misc.Signal}: the hook is supported API, needs no JDK-internal class
     * (whose use javac flags on every compile and cannot be suppressed), and it also covers SIGHUP. Its one catch is
     * the exit status: a JVM ended by a signal exits 128 + the signal number (143 for SIGTERM) once its hooks return,
     * and orchestrators read that as a failure. So the hook ends the process itself with {@link Runtime#halt(int)},
     * which the JVM allows during shutdown. Halting skips hooks that have not finished yet; the gateway registers no
     * other, and Logback (no shutdown hook configured) and Netty register none.
     */
    private static void drainAndHalt(GatewayServer server) {
        logger.info("Shutdown signal received, draining");
        int status = 0;
        try {
            server.close();
            // The drain's waits are bounded and not cut short; an interrupt during them still fails the exit.
            if (Thread.currentThread().isInterrupted()) {
                status = 1;
            }
        } catch (RuntimeException e) {
            logger.error("Drain failed", e);
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        Runtime.getRuntime().halt(status);
    }
}
