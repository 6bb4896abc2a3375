/**
 * Pure validation of the wire contract: inbound envelopes and userIds. No Netty and no I/O here, so the rules are
 * tested on their own and shared by the gateway and the load tester.
 */
package io.switchboard.protocol.validate;
