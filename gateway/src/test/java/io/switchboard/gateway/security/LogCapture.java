package io.switchboard.gateway.security;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Everything the gateway and Netty log while it is open, at every level down to DEBUG, kept in memory: what an
 * operator's log would hold with {@code SWITCHBOARD_LOG_LEVEL=DEBUG}. Restores the levels on close.
 */
final class LogCapture implements AutoCloseable {

    private static final List<String> LOGGERS = List.of("io.switchboard", "io.netty");

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final List<Level> previous = new ArrayList<>();

    LogCapture() {
        appender.start();
        for (String name : LOGGERS) {
            final Logger logger = (Logger) LoggerFactory.getLogger(name);
            previous.add(logger.getLevel());
            logger.setLevel(Level.DEBUG);
            logger.addAppender(appender);
        }
    }

    /** A snapshot of the events so far. */
    List<ILoggingEvent> events() {
        synchronized (appender.list) {
            return new ArrayList<>(appender.list);
        }
    }

    /** The event as it would be written: its formatted message and any stack trace. */
    static String render(ILoggingEvent e) {
        final String message = e.getFormattedMessage();
        return e.getThrowableProxy() == null ? message
                                             : message + '\n' + ThrowableProxyUtil.asString(e.getThrowableProxy());
    }

    @Override
    public void close() {
        for (int i = 0; i < LOGGERS.size(); i++) {
            final Logger logger = (Logger) LoggerFactory.getLogger(LOGGERS.get(i));
            logger.detachAppender(appender);
            logger.setLevel(previous.get(i));
        }
        appender.stop();
    }
}
