// What a receipt (PROTOCOL.md §3), a delivered notice (§5) and a read mark (§6) mean for the message they answer.

/** The tick once the peer's page has acknowledged the message (a `delivered` notice for its msgId). */
export const DELIVERED = Object.freeze({ status: 'delivered', text: '✓✓ delivered' });

/** The tick once the peer has read the message (a `read` mark for it or for a later one of this side's messages). */
export const READ = Object.freeze({ status: 'read', text: '✓✓ read' });

/**
 * {status: 'sent'|'stored'|'failed', text}: "push success" (handed to the peer's connection), "stored offline",
 * or code "1" with the error text. Only a `delivered` notice says the peer's page has it.
 */
export function receiptStatusFor(receipt, storedText = 'Stored offline ✓') {
  if (receipt.code !== '0') return { status: 'failed', text: `Failed: ${receipt.msg}` };
  if (receipt.msg === 'stored offline') return { status: 'stored', text: storedText };
  return { status: 'sent', text: '✓ sent' };
}

const RANK = { delivered: 1, read: 2 };

/**
 * The tick to show after `next`: delivered never goes back to sent, and read is final. After a reconnect the
 * delivered notice (held for the sender) can arrive before the receipt of the resent message, and a read mark can
 * arrive before the delivered notice (the peer's ack is coalesced); neither may take the tick back.
 */
export function nextTick(current, next) {
  const have = current ? RANK[current.status] || 0 : 0;
  return have > 0 && have >= (RANK[next.status] || 0) ? current : next;
}
