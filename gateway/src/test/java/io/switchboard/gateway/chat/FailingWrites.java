package io.switchboard.gateway.chat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes writes on an {@code EmbeddedChannel} fail the way a write to a connection that died under it does: at once
 * ({@link #failNext}), or later ({@link #parkNext}, then {@link #failParked}). A failed message is released, never
 * written. Everything else passes. One per channel; touched on its loop only.
 */
final class FailingWrites extends ChannelOutboundHandlerAdapter {

    private int failNext;
    private int parkNext;
    private final List<ChannelPromise> parked = new ArrayList<>();

    /** The next {@code writes} writes fail at once. */
    FailingWrites failNext(int writes) {
        failNext = writes;
        return this;
    }

    /** The next {@code writes} writes are neither written nor completed until {@link #failParked()}. */
    FailingWrites parkNext(int writes) {
        parkNext = writes;
        return this;
    }

    /** Fails the parked writes, oldest first. */
    void failParked() {
        for (ChannelPromise p : parked) {
            p.setFailure(new ClosedChannelException());
        }
        parked.clear();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (failNext > 0) {
            failNext--;
            ReferenceCountUtil.release(msg);
            promise.setFailure(new ClosedChannelException());
        } else if (parkNext > 0) {
            parkNext--;
            ReferenceCountUtil.release(msg);
            parked.add(promise);
        } else {
            ctx.write(msg, promise);
        }
    }
}
