// What a receipt (PROTOCOL.md §3) and a delivered notice (§5) mean for the message they answer.

/** The tick once the peer's page has acknowledged the message (a `delivered` notice for its msgId). */
export const DELIVERED = Object.freeze({ status: 'delivered', text: '✓✓ delivered' });

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
 * The tick to show after `next`: delivered is final. After a reconnect the delivered notice (held for the sender)
 * can arrive before the receipt of the resent message, and that receipt must not take the tick back to "sent".
 */
export function nextTick(current, next) {
  return current && current.status === 'delivered' ? current : next;
}
