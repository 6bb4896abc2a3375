package io.switchboard.gateway;

import io.switchboard.gateway.config.ConfigLoader;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * The command line: {@code java -jar switchboard-gateway.jar [--help] [--config FILE] [--port N] ...}.
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
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        final CountDownLatch stop = new CountDownLatch(1);
        // Handle the signals ourselves (rather than a shutdown hook) so that a drained gateway exits 0, not 143.
        final SignalHandler onSignal = sig -> {
            logger.info("Received SIG{}, draining", sig.getName());
            stop.countDown();
        };
        Signal.handle(new Signal("TERM"), onSignal);
        Signal.handle(new Signal("INT"), onSignal);
        stop.await();
        server.close();
        System.exit(0);
    }
}
