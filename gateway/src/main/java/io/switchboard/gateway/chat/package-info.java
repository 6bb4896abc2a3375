/**
 * The chat core ({@code PROTOCOL.md} §1, §3, §5): {@link io.switchboard.gateway.chat.SessionLifecycle} (connect,
 * 4001 through {@link io.switchboard.gateway.chat.Replacement}, reconnect grace, release),
 * {@link io.switchboard.gateway.chat.ChatRules} (match, normal, leave, ping, receipts; validation happens here) and
 * {@link io.switchboard.gateway.chat.LocalDelivery} (the one live write to a recipient, slow consumers, the
 * single-node {@link io.switchboard.gateway.chat.Router}) over the bounded
 * {@link io.switchboard.gateway.chat.MemoryHold}. Matching is {@link io.switchboard.gateway.chat.InMemoryMatchService};
 * the SPIs the cluster implements are {@code Router}, {@code Presence} and {@code MatchService}, and
 * {@code ChatEvents} feeds the webhooks. It may use {@code session}, {@code metrics} and the protocol module, never
 * {@code pipeline}, {@code cluster}, {@code api}, {@code webhook} or {@code config} (settings arrive as constructor
 * arguments); nothing here blocks.
 */
package io.switchboard.gateway.chat;
