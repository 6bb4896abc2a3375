package io.switchboard.gateway.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.switchboard.protocol.json.EnvelopeJson;
import java.util.concurrent.TimeUnit;

/**
 * The shared resources of the {@link WsTestClient}s of one test class: one small NIO event-loop group and the JSON
 * codec. Create it once per class (e.g. in {@code @BeforeAll}) and close it at the end; closing it drops every client
 * still open.
 */
public final class WsTestClients implements AutoCloseable {

    private final EventLoopGroup group;
    private final EnvelopeJson json = EnvelopeJson.create();

    /** A factory with two event loops, plenty for a test. */
    public WsTestClients() {
        this(2);
    }

    public WsTestClients(int threads) {
        group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    }

    /** The event loops every client of this factory runs on. */
    public EventLoopGroup group() {
        return group;
    }

    /** The shared JSON codec. */
    public EnvelopeJson json() {
        return json;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
