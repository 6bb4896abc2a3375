/**
 * JSON for the wire: one configured Jackson {@code ObjectReader}/{@code ObjectWriter} pair that reads and writes
 * envelopes straight from and to byte streams, strictly (string fields only, no trailing bytes) and with limits on
 * hostile input.
 */
package io.switchboard.protocol.json;
