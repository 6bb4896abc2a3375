// A minimal raw-Netty + Jackson chat relay (issue #12): the yardstick the gateway's CPU per routed message is compared
// with. WebSocket upgrade on /pinter/imserver/{userId}[?role=agent], JSON parse, `match` pairs a user with the
// least-busy agent (round robin), `normal` is forwarded to the paired peer and answered with a JSON receipt, `ping`
// with `pong`. Nothing else: no registry sharding, no limits, no validation beyond parsing, no metrics, no hold.
//
// Run with the gateway's jar on the class path (it carries Netty and Jackson), Java 17 single-file source launch:
//   java -cp gateway/target/switchboard-gateway.jar bench/relay/Relay.java 18500
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.AttributeKey;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

public final class Relay {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttributeKey<String> USER = AttributeKey.valueOf("user");
    private static final ConcurrentHashMap<String, Channel> channels = new ConcurrentHashMap<>();
    private static final ConcurrentHashMap<String, String> peerOf = new ConcurrentHashMap<>();
    private static final List<String> agents = new CopyOnWriteArrayList<>();
    private static final AtomicLong next = new AtomicLong();

    public static void main(String[] args) throws Exception {
        final int port = Integer.parseInt(args.length > 0 ? args[0] : "18500");
        final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
        new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                              new Upgrade(),
                                              new WebSocketServerProtocolHandler("/pinter/imserver", null, false,
                                                                                 65536, false, true),
                                              new Chat());
                    }
                }).bind("127.0.0.1", port).sync();
        System.out.println("relay listening on 127.0.0.1:" + port);
    }

    /** Notes the userId and role from the upgrade request's path. */
    static final class Upgrade extends SimpleChannelInboundHandler<io.netty.handler.codec.http.FullHttpRequest> {
        Upgrade() {
            super(false);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, io.netty.handler.codec.http.FullHttpRequest req) {
            final String uri = req.uri();
            final int q = uri.indexOf('?');
            final String path = q < 0 ? uri : uri.substring(0, q);
            final String user = path.substring(path.lastIndexOf('/') + 1);
            ctx.channel().attr(USER).set(user);
            channels.put(user, ctx.channel());
            if (q >= 0 && uri.substring(q).contains("role=agent")) {
                agents.add(user);
            }
            ctx.channel().closeFuture().addListener(f -> channels.remove(user, ctx.channel()));
            ctx.fireChannelRead(req);
        }
    }

    /** match, normal, ping: parse, forward, answer. */
    static final class Chat extends SimpleChannelInboundHandler<TextWebSocketFrame> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TextWebSocketFrame frame) throws Exception {
            final String me = ctx.channel().attr(USER).get();
            final JsonNode in = JSON.readTree(frame.text());
            final String type = in.path("type").asText();
            final String msgId = in.hasNonNull("msgId") ? in.get("msgId").asText() : "r" + next.incrementAndGet();
            final String now = Long.toString(System.currentTimeMillis());
            switch (type) {
                case "match" -> {
                    final String agent = agents.isEmpty() ? null
                            : agents.get((int) (next.incrementAndGet() % agents.size()));
                    if (agent == null) {
                        ctx.writeAndFlush(text(envelope("match", msgId, "system", me, "no agent", "1", now)));
                        return;
                    }
                    peerOf.put(me, agent);
                    final Channel a = channels.get(agent);
                    if (a != null) {
                        a.writeAndFlush(text(envelope("match", "m" + next.incrementAndGet(), "system", agent, me, "0",
                                                      now)));
                    }
                    ctx.writeAndFlush(text(envelope("match", msgId, "system", me, agent, "0", now)));
                }
                case "normal" -> {
                    final String to = in.path("to").asText();
                    final Channel peer = channels.get(to);
                    if (peer != null) {
                        peer.writeAndFlush(text(envelope("normal", msgId, me, to, in.path("msg").asText(), "0", now)));
                    }
                    ctx.writeAndFlush(text(envelope("receipt", msgId, "system", me,
                                                    peer != null ? "push success" : "stored offline", "0", now)));
                }
                case "ping" -> ctx.writeAndFlush(text(envelope("pong", msgId, "system", me, "pong", "0", now)));
                default -> { }
            }
        }
    }

    static ObjectNode envelope(String type, String msgId, String from, String to, String msg, String code,
                               String timestamp) {
        final ObjectNode n = JSON.createObjectNode();
        n.put("code", code).put("from", from).put("msg", msg).put("msgId", msgId).put("timestamp", timestamp)
         .put("to", to).put("type", type);
        return n;
    }

    static TextWebSocketFrame text(ObjectNode n) {
        try {
            return new TextWebSocketFrame(JSON.writeValueAsString(n));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
