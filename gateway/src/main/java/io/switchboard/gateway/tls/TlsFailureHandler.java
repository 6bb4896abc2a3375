package io.switchboard.gateway.tls;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.switchboard.gateway.metrics.GatewayMetrics;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits right behind the {@code SslHandler} until the handshake is done. A failed handshake (a plaintext client on the
 * TLS port, no protocol or cipher in common, a client that rejects the certificate) is the client's problem, not the
 * server's: it is counted, logged at DEBUG without a stack trace, and the connection is closed (the
 * {@code SslHandler} has already sent its alert). A successful handshake removes this handler, so an upgraded
 * connection carries no extra context for it.
 *
 * <p>Runs on the channel's event loop. Holds no buffers. Stateless; {@code @Sharable}.
 */
@Sharable
final class TlsFailureHandler extends ChannelInboundHandlerAdapter {

    private static final Logger logger = LoggerFactory.getLogger(TlsFailureHandler.class);

    private final GatewayMetrics metrics;

    TlsFailureHandler(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                metrics.tlsHandshakeFailed();
                logger.debug("{} TLS handshake failed: {}", ctx.channel(), done.cause().toString());
                ctx.close();
                return;
            }
            ctx.pipeline().remove(this);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (isTls(cause)) {
            // Already counted and logged with the handshake's completion event, which comes first.
            ctx.close();
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }

    /** Whether {@code cause}, or what it wraps (Netty's {@code DecoderException}), is a TLS failure. */
    static boolean isTls(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException) {
                return true;
            }
        }
        return false;
    }
}
