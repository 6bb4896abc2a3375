/**
 * The chat capability: {@link io.switchboard.gateway.chat.MatchService} pairs users with agents,
 * {@link io.switchboard.gateway.chat.Router} delivers to a userId or holds the message in the
 * {@link io.switchboard.gateway.chat.OfflineStore}, and {@link io.switchboard.gateway.chat.ChatService} applies
 * {@code PROTOCOL.md} §3 to each message and to connects and disconnects. Nothing here blocks.
 */
package io.switchboard.gateway.chat;
