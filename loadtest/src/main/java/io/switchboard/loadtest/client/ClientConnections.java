package io.switchboard.loadtest.client;

import io.netty.channel.Channel;

/** Operations on client channels built by {@link ClientChannelInitializer}. */
public final class ClientConnections {

    private ClientConnections() {}

    /**
     * Closes {@code ch} as a planned close: sends close 1000 and reports {@link CloseStatus#byClient()} true, so
     * the close is not counted as a failure. Safe from any thread; does not wait.
     */
    public static void close(Channel ch) {
        if (ch.eventLoop().inEventLoop()) {
            ClientHandler.markClientClose(ch);
            ch.close();
        } else {
            ch.eventLoop().execute(() -> close(ch));
        }
    }
}
