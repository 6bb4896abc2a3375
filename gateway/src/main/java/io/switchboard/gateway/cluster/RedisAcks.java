package io.switchboard.gateway.cluster;

import io.lettuce.core.ScriptOutputType;
import io.netty.channel.Channel;
import io.switchboard.gateway.chat.Acknowledgements;
import io.switchboard.gateway.chat.Router;
import io.switchboard.gateway.metrics.GatewayMetrics;
import io.switchboard.gateway.session.Session;
import io.switchboard.protocol.Envelope;
import io.switchboard.protocol.Envelopes;
import io.switchboard.protocol.MessageType;
import io.switchboard.protocol.json.EnvelopeJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Acknowledged delivery in a cluster ({@code PROTOCOL.md} §5): each userId's sequence ({@link RedisKeys#seq}) and
 * unacknowledged deliveries ({@link RedisKeys#ackLog}) live in Redis, so a client that reconnects to any node resumes
 * where it was. The node holding an acknowledging connection gives each delivery its seq and appends it in one script
 * ({@code SEQ}, one round trip per delivery), and writes it once Redis has it; the attach script hands the log over
 * on connect ({@link RedisPresence}), and {@code ACK} trims it.
 *
 * <p>Per connection this node remembers only the highest seq written to it ({@code sent}), to refuse an ack above it
 * and to write each seq once. A connection that stops being writable is not written to; once it drains,
 * {@link #pump} reads its log and writes what it missed, and if it stays unwritable past the slow-consumer timeout
 * it is closed with 1013. Redis answers one connection's commands in order, and every write hops to the
 * connection's loop in that order, so deliveries reach the client in seq order.
 *
 * <p>Thread-safe and non-blocking. Redis replies complete on Lettuce threads; writes hop to the session's loop.
 */
final class RedisAcks implements Acknowledgements {

    private static final Logger logger = LoggerFactory.getLogger(RedisAcks.class);
    private static final String NORMAL = MessageType.NORMAL.wireName();
    /** How soon a connection that fell behind reads its log again after Redis did not answer. */
    private static final long PUMP_RETRY_MILLIS = 200;

    /**
     * KEYS seq, log; ARGV deadline, json, cap, ttl ms, '1' if a {@code normal} (its sender is notified of its
     * acknowledgement if the sender acknowledges: {@link #notify} asks, the sender's keys being in another slot).
     * Gives the next seq, appends {@code seq|deadline|notify|json}, drops the oldest past the cap.
     * Returns the seq.
     */
    private static final LuaScript SEQ = new LuaScript("""
            local seq = redis.call('HINCRBY', KEYS[1], 'last', 1)
            redis.call('RPUSH', KEYS[2], seq .. '|' .. ARGV[1] .. '|' .. ARGV[5] .. '|' .. ARGV[2])
            local excess = redis.call('LLEN', KEYS[2]) - tonumber(ARGV[3])
            if excess > 0 then redis.call('LTRIM', KEYS[2], excess, -1) end
            redis.call('PEXPIRE', KEYS[2], ARGV[4])
            return seq
            """, ScriptOutputType.INTEGER);

    /**
     * KEYS seq, log; ARGV up to. Records the ack and removes the acknowledged deliveries; returns them.
     */
    private static final LuaScript ACK = new LuaScript("""
            local upTo = tonumber(ARGV[1])
            local acked = tonumber(redis.call('HGET', KEYS[1], 'acked') or '0')
            if upTo > acked then redis.call('HSET', KEYS[1], 'acked', upTo) end
            local done = {}
            while true do
              local first = redis.call('LINDEX', KEYS[2], 0)
              if not first then break end
              if tonumber(string.match(first, '^(%d+)|')) > upTo then break end
              redis.call('LPOP', KEYS[2])
              done[#done + 1] = first
            end
            return done
            """, ScriptOutputType.MULTI);

    /** The scripts on the delivery path, loaded when the node connects (see {@link LuaScript#load}). */
    static final List<LuaScript> SCRIPTS = List.of(SEQ, ACK);

    private final ClusterRedis redis;
    private final RedisKeys keys;
    private final EnvelopeJson json;
    private final Envelopes envelopes;
    private final GatewayMetrics metrics;
    private final int maxPerUser;
    private final long ttlMillis;
    /** What was written to each acknowledging session of this node. */
    private final ConcurrentHashMap<Session, Sent> sent = new ConcurrentHashMap<>();

    /**
     * The highest seq written to a session, and whether it fell behind (was unwritable when a delivery came, so
     * later ones wait in Redis until {@link #pump}). Touched on the session's loop, read by acks from it too.
     */
    private static final class Sent {
        volatile long seq;
        boolean behind;

        Sent(long seq) {
            this.seq = seq;
        }
    }
    /** Delivers {@code delivered} notices (the cluster router); set once at wiring. */
    private volatile BiConsumer<String, Envelope> notices = (to, notice) -> { };
    /** Told when a session stopped reading (unwritable); set once at wiring. */
    private volatile Consumer<Session> blocked = session -> { };

    RedisAcks(ClusterRedis redis, RedisKeys keys, EnvelopeJson json,
              Envelopes envelopes, GatewayMetrics metrics, int maxPerUser, long ttlMillis) {
        this.redis = redis;
        this.keys = keys;
        this.json = json;
        this.envelopes = envelopes;
        this.metrics = metrics;
        this.maxPerUser = maxPerUser;
        this.ttlMillis = ttlMillis;
    }

    /** Sets where {@code delivered} notices go, once, while wiring. */
    void noticesTo(BiConsumer<String, Envelope> router) {
        this.notices = router;
    }

    /** Sets who is told of a session that stopped reading, once, while wiring. */
    void onBlocked(Consumer<Session> watcher) {
        this.blocked = watcher;
    }

    /**
     * The attach script handed {@code session} its unacknowledged deliveries: writes those above {@code from} (the
     * seq its {@code since}, or else its last ack, stands at), in order. Must run on the session's loop, before any
     * {@link #deliver} to it is written.
     *
     * @param entries the log as the script returned it, oldest first
     */
    void resumed(Session session, long from, List<Object> entries) {
        // A resync after a Redis outage attaches the session again: keep what it was already sent.
        final Sent written = sent.computeIfAbsent(session, s -> new Sent(from));
        written.seq = Math.max(written.seq, from);
        final int n = writeLog(session, written, entries);
        if (n > 0) {
            metrics.redelivered(n);
        }
    }

    /**
     * Writes the log entries above what {@code session} was sent, in order, while it is writable; a session that
     * stops being writable is behind until {@link #pump}. Returns how many were written. On the session's loop.
     */
    private int writeLog(Session session, Sent written, List<Object> entries) {
        final long now = System.currentTimeMillis();
        final Channel channel = session.channel();
        written.behind = false;
        int n = 0;
        for (Object o : entries) {
            final Entry e = Entry.parse((String) o);
            if (e.seq <= written.seq) {
                continue;
            }
            if (!channel.isWritable()) {
                written.behind = true;
                blocked.accept(session);
                break;
            }
            written.seq = e.seq;
            if (e.deadlineMillis < now) {
                metrics.offlineExpired(1);
                continue;
            }
            final Envelope envelope = decode(e.json);
            if (envelope != null) {
                channel.write(envelope.withSeq(Long.toString(e.seq)), channel.voidPromise());
                n++;
            }
        }
        if (n > 0) {
            channel.flush();
        }
        return n;
    }

    /**
     * {@code session} is writable again: if it fell behind, reads its log from Redis and writes what it was not
     * sent. On the session's loop.
     */
    void pump(Session session) {
        final Sent written = sent.get(session);
        if (written == null || !written.behind || !session.channel().isWritable()) {
            return;
        }
        final String userId = session.userId();
        LuaScript.call(() -> redis.async().lrange(keys.ackLog(userId), 0, -1)).whenCompleteAsync((entries, error) -> {
            if (sent.get(session) != written || !written.behind) {
                return;
            }
            if (error != null) {
                // Redis is away (restarting, loading): try again, or this connection would wait for ever.
                logger.debug("userId={} log not read, trying again: {}", userId, error.toString());
                session.channel().eventLoop().schedule(() -> pump(session), PUMP_RETRY_MILLIS,
                                                       TimeUnit.MILLISECONDS);
            } else {
                writeLog(session, written, List.copyOf(entries));
            }
        }, session.channel().eventLoop());
    }

    /**
     * Delivers {@code envelope} to the acknowledging {@code session} of this node: takes the userId's next seq and
     * appends it to its log in Redis, then writes it. Completes once Redis has it: {@code LIVE} if the session is
     * still open, else {@code HELD} (its next connection, on any node, gets it).
     */
    CompletionStage<Router.Delivery> deliver(Session session, Envelope envelope) {
        final String to = session.userId();
        final String body = new String(json.toBytes(envelope.withSeq(null)), StandardCharsets.UTF_8);
        final boolean normal = NORMAL.equals(envelope.type());
        final String[] seqKeys = {keys.seq(to), keys.ackLog(to)};
        final String deadline = Long.toString(System.currentTimeMillis() + ttlMillis);
        // A durable write: the delivery is promised once its log entry is in Redis (and its replicas).
        return redis.durable(seqKeys[0], c -> SEQ.<Long>run(c, seqKeys, deadline, body, Integer.toString(liveCap()),
                                                            Long.toString(ttlMillis), normal ? "1" : "0"))
                  .thenApply(seq -> {
                      session.channel().eventLoop().execute(() -> write(session, seq, envelope));
                      return session.channel().isActive() ? Router.Delivery.LIVE : Router.Delivery.HELD;
                  });
    }

    /**
     * The most unacknowledged deliveries a connected userId may have in Redis. Its connection being live, the offline
     * bound does not apply (a client that acknowledges a little late must not see a gap; the detach script trims to
     * it); this cap only keeps a client that never acknowledges from growing its log without end.
     */
    private int liveCap() {
        return (int) Math.min(Integer.MAX_VALUE, 10L * maxPerUser);
    }

    private void write(Session session, long seq, Envelope envelope) {
        final Sent written = sent.get(session);
        if (written == null || seq <= written.seq || written.behind) {
            return; // the session is gone, the resume already wrote it, or it waits for the pump
        }
        final Channel channel = session.channel();
        if (!channel.isWritable()) {
            written.behind = true;
            blocked.accept(session);
            return;
        }
        if (seq != written.seq + 1) {
            // The log has deliveries this connection was not written: appended for the user's previous connection
            // after this one read the log, or by a SEQ whose reply timed out here. Write them first, in order.
            written.behind = true;
            pump(session);
            return;
        }
        written.seq = seq;
        channel.writeAndFlush(envelope.withSeq(Long.toString(seq)), channel.voidPromise());
    }

    @Override
    public boolean acknowledge(Session session, long upTo) {
        final Sent written = sent.get(session);
        if (written == null || upTo > written.seq) {
            return false;
        }
        final String userId = session.userId();
        ACK.<List<Object>>run(redis.async(), new String[] {keys.seq(userId), keys.ackLog(userId)}, Long.toString(upTo))
           .whenComplete((done, error) -> {
               if (error != null) {
                   // The deliveries stay in the log and come again on the next connection: at least once.
                   logger.debug("userId={} ack of {} not recorded: {}", userId, upTo, error.toString());
                   return;
               }
               notify(userId, done);
           });
        return true;
    }

    /**
     * Deliveries a connection acknowledged with its {@code since} (the attach script removed them): their senders
     * get their {@code delivered} notices, as for an {@code ack}.
     */
    void acknowledgedOnAttach(String userId, List<Object> entries) {
        notify(userId, entries);
    }

    /**
     * Sends {@code delivered} notices for acknowledged deliveries marked to notify, to those senders that acknowledge
     * (have a seq), asked once per sender.
     */
    private void notify(String userId, List<Object> done) {
        final Map<String, List<Envelope>> bySender = new LinkedHashMap<>();
        for (Object o : done) {
            final Entry e = Entry.parse((String) o);
            if (e.notifySender) {
                final Envelope d = decode(e.json);
                if (d != null && d.from() != null) {
                    bySender.computeIfAbsent(d.from(), f -> new ArrayList<>())
                            .add(envelopes.delivered(d.msgId(), userId, d.from(), e.seq));
                }
            }
        }
        bySender.forEach((sender, notes) -> LuaScript.<Long>call(() -> redis.async().exists(keys.seq(sender)))
                .whenComplete((n, error) -> {
                    if (error != null) {
                        logger.debug("delivered notices to userId={} not sent: {}", sender, error.toString());
                    } else if (n > 0) {
                        notes.forEach(note -> notices.accept(sender, note));
                    }
                }));
    }

    /** The session ended: forget what was written to it. */
    void detached(Session session) {
        sent.remove(session);
    }

    /** The envelopes of log entries (oldest first), without their seq: for a plain connection taking them over. */
    List<Envelope> plain(List<Object> entries) {
        final List<Envelope> out = new ArrayList<>(entries.size());
        for (Object o : entries) {
            final Envelope envelope = decode(Entry.parse((String) o).json);
            if (envelope != null) {
                out.add(envelope);
            }
        }
        return out;
    }

    private Envelope decode(String body) {
        try {
            return json.read(body.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            logger.warn("Unreadable unacknowledged delivery dropped: {}", e.toString());
            return null;
        }
    }

    /** One log entry: {@code seq|deadlineMillis|notify|json}. */
    private record Entry(long seq, long deadlineMillis, boolean notifySender, String json) {
        static Entry parse(String entry) {
            final int a = entry.indexOf('|');
            final int b = entry.indexOf('|', a + 1);
            final int c = entry.indexOf('|', b + 1);
            return new Entry(Long.parseLong(entry.substring(0, a)), Long.parseLong(entry.substring(a + 1, b)),
                             entry.charAt(b + 1) == '1', entry.substring(c + 1));
        }
    }
}
