package io.switchboard.gateway.testing;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.switchboard.protocol.json.EnvelopeJson;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The shared resources of the {@link WsTestClient}s of one test class: one small NIO event-loop group and the JSON
 * codec. {@link GatewayExtension} and {@link ClusterExtension} make one per test class and close it at the end (closing
 * it drops every client still open); clients made by {@link #connect(URI)} are closed after each test.
 */
public final class WsTestClients implements AutoCloseable {

    private final EventLoopGroup group;
    private final EnvelopeJson json = EnvelopeJson.create();
    private final List<WsTestClient> open = new CopyOnWriteArrayList<>();

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

    /** {@link WsTestClient#connect(WsTestClients, URI)}, remembered so {@link #closeOpen()} closes it. */
    public WsTestClient connect(URI uri) {
        return connect(uri, WsTestClient.Options.defaults());
    }

    /** {@link WsTestClient#connect(WsTestClients, URI, WsTestClient.Options)}, remembered for {@link #closeOpen()}. */
    public WsTestClient connect(URI uri, WsTestClient.Options options) {
        final WsTestClient client = WsTestClient.connect(this, uri, options);
        open.add(client);
        return client;
    }

    /** Closes every client {@link #connect(URI) connected} here (the extensions call it after each test). */
    public void closeOpen() {
        for (WsTestClient c : open) {
            c.close();
        }
        open.clear();
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
