package io.switchboard.gateway.chat;

/** A user in the waiting queue, for the API and the dashboard: its place (1 = next) and when it started waiting. */
public record Waiting(String userId, int position, long sinceMillis) {}
