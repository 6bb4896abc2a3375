// What a receipt (PROTOCOL.md §3) means for the message it answers.

/** {status: 'delivered'|'stored'|'failed', text}: "push success", "stored offline", or code "1" with the error text. */
export function receiptStatusFor(receipt, storedText = 'Stored offline ✓') {
  if (receipt.code !== '0') return { status: 'failed', text: `Failed: ${receipt.msg}` };
  if (receipt.msg === 'stored offline') return { status: 'stored', text: storedText };
  return { status: 'delivered', text: 'Delivered ✓✓' };
}
