package io.switchboard.client;

/**
 * A snapshot of a {@link SwitchboardClient}'s delivery bookkeeping, for monitoring and tests.
 *
 * @param lastProcessedSeq  the highest seq the application's handler returned for, -1 if none yet: what the next
 *                          reconnect resumes from ({@code since})
 * @param duplicatesDropped redelivered messages (seq already handed to the application) dropped
 * @param gaps              seq jumps seen: the gateway dropped deliveries (hold bound or TTL) before they were sent
 * @param missingSeqs       seqs skipped by those jumps, in all
 * @param reconnects        reconnect attempts scheduled after a connection ended or failed
 * @param acksSent          {@code ack} messages written
 * @param pendingRequests   sends and requests not answered yet (they are sent again after a reconnect)
 * @param connected         whether a connection is open now
 */
public record ClientStats(long lastProcessedSeq, long duplicatesDropped, long gaps, long missingSeqs, long reconnects,
                          long acksSent, int pendingRequests, boolean connected) {}
