// What a receipt (PROTOCOL.md §3), a delivered notice (§5) and a read mark (§6) mean for the message they answer.

/** The tick once the peer's page has acknowledged the message (a `delivered` notice for its msgId). */
export const DELIVERED = Object.freeze({ status: 'delivered', text: '✓✓ delivered' });

/**
 * A read mark (`read` for the message or a later one of this side's, PROTOCOL.md §6). It adds to the delivery tick
 * rather than replacing it: shown once the message is delivered (or came from the history), so a read mark that
 * overtakes the delivered notice (the peer's ack is coalesced) never makes the tick skip "delivered".
 */
export const READ = Object.freeze({ read: true });

/**
 * {status: 'sent'|'stored'|'failed', text}: "push success" (handed to the peer's connection), "stored offline",
 * or code "1" with the error text. Only a `delivered` notice says the peer's page has it.
 */
export function receiptStatusFor(receipt, storedText = 'Stored offline ✓') {
  if (receipt.code !== '0') return { status: 'failed', text: `Failed: ${receipt.msg}` };
  if (receipt.msg === 'stored offline') return { status: 'stored', text: storedText };
  return { status: 'sent', text: '✓ sent' };
}

/**
 * The tick to show after `next`: delivered is final, and a read mark stays. After a reconnect the delivered notice
 * (held for the sender) can arrive before the receipt of the resent message, which must not take the tick back to
 * "sent"; a read mark can come before the receipt or the delivered notice and waits for them.
 */
export function nextTick(current, next) {
  const read = Boolean((current && current.read) || next.read);
  let tick;
  if (!next.status) tick = current || { status: null };
  else tick = current && current.status === 'delivered' ? current : next;
  return read && !tick.read ? { ...tick, read: true } : tick;
}
