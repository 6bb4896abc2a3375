package io.switchboard.gateway.pipeline;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.netty.CloseCodes;

/**
 * Notes the first WebSocket close frame of a session, received from the client or written by the gateway, so that
 * the disconnect event can say why the connection ended (4001 replaced, 4003 kicked, 1001 idle, the client's code).
 *
 * <p>Also makes the answer to an invalid close frame exact (RFC 6455 §7.4, §8.1): a close code a peer must not send
 * is answered with 1002, and a close reason that is not UTF-8 with 1007. Netty's frame decoder accepts codes of 5000
 * and above, which this handler refuses; the codes it refuses itself (999, 1004–1006, 1015, ...), and a reason that
 * is not UTF-8, it reports as an exception without writing any close frame (it treats the close handshake as
 * begun), so {@code ws-protocol} would answer its own 1001 as the channel closes. This handler writes the right
 * close first, from the tail, so {@code ws-protocol} knows one was sent. A valid close frame passes on untouched;
 * an invalid one is released here.
 *
 * <p>It also stamps each frame read and written on the session, for the {@link IdleSweeper} (pings and the idle
 * close): pongs are read here before {@code ws-protocol} drops them.
 *
 * <p>Sits just before {@code ws-protocol}, which consumes the client's close frame, so it sees that frame and every
 * close written from the pipeline's tail. Runs on the channel's event loop. Stateless; {@code @Sharable}.
 */
@Sharable
final class CloseStatusHandler extends ChannelDuplexHandler {

    /** The message of Netty's decoder for a close frame whose body it refused (code or length). */
    private static final String INVALID_CLOSE_FRAME = "Invalid close frame";

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        final Session session = ctx.channel().attr(SessionAttributes.SESSION).get();
        if (session != null) {
            session.read(System.nanoTime());
        }
        if (msg instanceof CloseWebSocketFrame close) {
            final int code = close.statusCode();
            if (code != -1 && !CloseCodes.isValidFromPeer(code)) {
                close.release();
                answer(ctx, CloseCodes.PROTOCOL_ERROR, "invalid close code " + code);
                return;
            }
            record(ctx, close, false);
        }
        ctx.fireChannelRead(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof CorruptedWebSocketFrameException corrupted && unanswered(ctx)) {
            final String message = String.valueOf(corrupted.getMessage());
            if (message.startsWith(INVALID_CLOSE_FRAME)) {
                answer(ctx, CloseCodes.PROTOCOL_ERROR, "invalid close frame");
            } else if (corrupted.closeStatus() != null
                       && corrupted.closeStatus().code() == CloseCodes.INVALID_UTF8.code()) {
                answer(ctx, CloseCodes.INVALID_UTF8, "invalid UTF-8");
            }
        }
        ctx.fireExceptionCaught(cause);
    }

    /** Whether no close frame went out from the tail or came in yet (so the decoder's refusal wrote none). */
    private static boolean unanswered(ChannelHandlerContext ctx) {
        final Session session = ctx.channel().attr(SessionAttributes.SESSION).get();
        return session != null && session.closeStatus() == null && ctx.channel().isActive();
    }

    private static void answer(ChannelHandlerContext ctx, WebSocketCloseStatus status, String reason) {
        // From the tail, through ws-protocol (which then sends no 1001 of its own) and back through this handler.
        ctx.channel().writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        final Session session = ctx.channel().attr(SessionAttributes.SESSION).get();
        if (session != null) {
            session.wrote(System.nanoTime());
        }
        if (msg instanceof CloseWebSocketFrame close) {
            record(ctx, close, true);
        }
        ctx.write(msg, promise);
    }

    private static void record(ChannelHandlerContext ctx, CloseWebSocketFrame close, boolean byServer) {
        final Session session = ctx.channel().attr(SessionAttributes.SESSION).get();
        if (session != null) {
            session.recordClose(close.statusCode(), close.reasonText(), byServer);
        }
    }
}
