// Switchboard wire protocol v1 (shared/PROTOCOL.md) for the browser: one WebSocket per user id, reconnect with
// exponential backoff and full jitter, msgId generation, and correlation of answers (receipt, match, pong, error)
// to the request that carries the same msgId (and the customer-service requests of PROTOCOL.md §6: queue, status,
// transfer, typing, read, history). With {ack: true}, reliable delivery (PROTOCOL.md §5): seq bookkeeping,
// coalesced cumulative acks, resume with since=, redeliveries dropped, unanswered messages resent with their msgId.
// No dependencies, no build step.

/** The WebSocket path prefix; the gateway writes its configured path into <meta name="sb-ws-path">. */
export function wsPath() {
  const meta = document.querySelector('meta[name="sb-ws-path"]');
  const path = meta && meta.content && !meta.content.includes('{{') ? meta.content : '/pinter/imserver';
  return path.replace(/\/+$/, '');
}

/** ws(s)://host/<path>/<userId>[?role=agent][&ack=1[&since=<seq>]] for this page's origin. */
export function wsUrl(userId, role, { ack = false, since = 0 } = {}) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const params = new URLSearchParams();
  if (role === 'agent') params.set('role', 'agent');
  if (ack) params.set('ack', '1');
  if (ack && since > 0) params.set('since', String(since));
  const query = params.toString() ? `?${params}` : '';
  return `${scheme}//${location.host}${wsPath()}/${encodeURIComponent(userId)}${query}`;
}

/** PROTOCOL.md §1: 1..128 characters, no '/', whitespace or control characters. */
export function validUserId(id) {
  return typeof id === 'string' && id.length >= 1 && [...id].length <= 128 && !/[\s/\u0000-\u001f\u007f]/u.test(id);
}

let counter = 0;
const prefix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');

/** A msgId unique to this page: random prefix + counter (crypto.randomUUID needs a secure context). */
export function newMsgId() {
  counter += 1;
  return `${prefix}-${counter.toString(36)}`;
}

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2^attempt)], never below 100 ms. */
export function backoffDelay(attempt, baseMs = 500, maxMs = 15000) {
  const ceiling = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.max(100, Math.round(Math.random() * ceiling));
}

/** A wire seq ("1", "42") as a number, or 0 when it is not a positive decimal integer. */
function parseSeq(seq) {
  return typeof seq === 'string' && /^[1-9][0-9]{0,15}$/.test(seq) ? Number(seq) : 0;
}

/**
 * PROTOCOL.md §5 bookkeeping for one userId: the last seq processed (kept in `storage`, e.g. sessionStorage, so a
 * page reload resumes from it), which pushes are redeliveries to drop, and which cumulative ack is still to be sent
 * on the current connection. Pure: no timers, no socket.
 */
export class SeqTracker {
  constructor(storage = null, key = '') {
    this.storage = storage;
    this.key = key;
    this.last = 0;
    try {
      this.last = parseSeq(storage ? storage.getItem(key) : null);
    } catch { /* storage disabled: start from nothing, the gateway resends what was not acknowledged */ }
    this.acked = this.last;
  }

  /** At each (re)connect: the `since` to ask for (0: none). The gateway counts it as acknowledged. */
  resume() {
    this.acked = this.last;
    return this.last;
  }

  /**
   * Looks at a pushed message's seq before it is processed: {fresh: false} for a redelivery of what was already
   * processed (drop it), {fresh: true, missed} otherwise, missed = how many seqs the gateway skipped (its hold bound
   * dropped them) since the last one processed, 0 when none or when nothing was processed before.
   */
  check(seq) {
    const n = parseSeq(seq);
    if (n === 0) return { fresh: true, missed: 0 };
    if (n <= this.last) return { fresh: false, missed: 0 };
    return { fresh: true, missed: this.last > 0 ? n - this.last - 1 : 0 };
  }

  /** The message with this seq was processed (shown): it is the new resume point and may be acknowledged. */
  processed(seq) {
    const n = parseSeq(seq);
    if (n <= this.last) return;
    this.last = n;
    try {
      if (this.storage) this.storage.setItem(this.key, String(n));
    } catch { /* full or disabled storage: a reload then resumes from the gateway's last ack */ }
  }

  /** The cumulative ack to send now on the open connection, or 0 when everything processed is acknowledged. */
  takeAck() {
    if (this.last <= this.acked) return 0;
    this.acked = this.last;
    return this.last;
  }
}

function sessionStore() {
  try {
    return globalThis.sessionStorage || null;
  } catch {
    return null; // some browsers throw on access when storage is disabled
  }
}

// The first answer to a `match` with "queue" is a `queue` message carrying its msgId (PROTOCOL.md §6).
const ANSWER_TYPES = new Set(['receipt', 'match', 'pong', 'error', 'queue', 'status', 'transfer']);
const REPLACED = 4001;
const PING_EVERY_MS = 25000;

/**
 * Events (CustomEvent, detail in parentheses):
 *  - 'state'    ({state: 'connecting'|'open'|'reconnecting'|'closed'|'replaced', attempt, delayMs, code, reason})
 *  - 'envelope' (the parsed server message), for every message, answers included; with ack, never twice for a seq
 *  - 'gap'      ({missed, seq}), with ack: the gateway dropped `missed` deliveries before `seq` (its hold bound)
 *
 * With {ack: true} (PROTOCOL.md §5) the client connects with ack=1 (and since=<last seq processed> when it has one,
 * kept in sessionStorage per userId), drops pushes whose seq it already processed, acknowledges what its 'envelope'
 * listeners processed with one cumulative ack per ackDelayMs, and keeps a 'normal' whose receipt has not come across
 * a reconnect, sending it again with the same msgId (the gateway answers a resend with the first receipt).
 */
export class SwitchboardClient extends EventTarget {
  constructor(userId, {
    role = 'user', ack = false, ackDelayMs = 100, baseDelayMs = 500, maxDelayMs = 15000, answerTimeoutMs = 15000,
    storage = sessionStore(),
  } = {}) {
    super();
    this.userId = userId;
    this.role = role;
    this.ack = ack;
    this.ackDelayMs = ackDelayMs;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.answerTimeoutMs = answerTimeoutMs;
    this.seqs = ack ? new SeqTracker(storage, `sb.seq.${userId}`) : null;
    this.state = 'closed';
    this.attempt = 0;
    this.pending = new Map(); // msgId -> {msg, resend, resolve, reject, timer}
    this.ws = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.ackTimer = null;
    this.wanted = false;
    this.histories = []; // {msgId, entries} of history requests in the order sent; entries come before the receipt
  }

  connect() {
    this.wanted = true;
    clearTimeout(this.retryTimer);
    this.#open();
  }

  /** Closes for good: no reconnect. */
  close() {
    this.wanted = false;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, 'bye');
    this.#failPending('closed', true);
    this.#setState('closed', {});
  }

  /**
   * Sends an envelope (adds a msgId if it has none) and resolves with the server's answer carrying that msgId.
   * Rejects if the socket is not open or no answer comes in time (counted per connection), and if the connection
   * drops first unless `resend`: then it is sent again, same msgId, once the client is back online.
   */
  request(envelope, { resend = false } = {}) {
    const msg = { ...envelope, msgId: envelope.msgId || newMsgId() };
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('not connected'));
        return;
      }
      const p = { msg, resend, resolve, reject, timer: null };
      this.pending.set(msg.msgId, p);
      this.#transmit(p);
    });
  }

  /** {type:'match'}: resolves with the match answer (msg = agent id, or code "1" with reason NO_AGENT). */
  match() {
    return this.request({ type: 'match', from: this.userId, to: 'system' });
  }

  /**
   * {type:'match', msg:'queue'} (PROTOCOL.md §6): resolves with the first answer: `queue` (msg = the position, 1 =
   * next), `match` (msg = the agent) or a `match` failure (QUEUE_FULL, NO_AGENT when the gateway has no queue). Later
   * positions and the match itself come as 'envelope' events without this msgId.
   */
  queue() {
    return this.request({ type: 'match', from: this.userId, to: 'system', msg: 'queue' });
  }

  /** {type:'status'} (agents): 'available' or 'away'; resolves with the `status` answer. */
  setStatus(status) {
    return this.request({ type: 'status', msg: status });
  }

  /** {type:'transfer'} (agents): moves `userId` to `agentId`, or to any other available agent for ''. */
  transfer(userId, agentId = '') {
    return this.request({ type: 'transfer', to: userId, msg: agentId });
  }

  /**
   * Sends a message that has no answer on success (`typing`, `read`): no msgId, nothing pending, dropped when not
   * connected (both are worth something only now). Returns whether it was sent.
   */
  notify(envelope) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(envelope));
    return true;
  }

  /** {type:'typing'} to the paired peer. */
  typing(to) {
    return this.notify({ type: 'typing', to });
  }

  /** {type:'read'}: this side has read up to `msgId` of the peer's messages. */
  read(to, msgId) {
    return this.notify({ type: 'read', to, msg: msgId });
  }

  /**
   * {type:'history'}: resolves with {entries, receipt}: the last n messages of the conversation (agents name the user
   * in `to`), oldest first, as the gateway's `history` messages (original from, to, msg, msgId, timestamp).
   */
  async history(n = 20, to = undefined) {
    const msgId = newMsgId();
    const collector = { msgId, entries: [] };
    this.histories.push(collector);
    try {
      const receipt = await this.request({ type: 'history', msgId, msg: String(n), ...(to ? { to } : {}) });
      return { entries: receipt.code === '0' ? collector.entries : [], receipt };
    } finally {
      this.histories = this.histories.filter((h) => h !== collector);
    }
  }

  /** {type:'normal'}: resolves with the receipt. With ack, survives reconnects (resent with the same msgId). */
  sendNormal(to, text, msgId) {
    return this.request({ type: 'normal', msgId: msgId || newMsgId(), to, msg: text }, { resend: this.ack });
  }

  /** {type:'leave'}: resolves with the receipt. */
  leave(to) {
    return this.request({ type: 'leave', to });
  }

  get isOpen() {
    return this.state === 'open';
  }

  #open() {
    this.#setState(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    const since = this.seqs ? this.seqs.resume() : 0;
    const ws = new WebSocket(wsUrl(this.userId, this.role, { ack: this.ack, since }));
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.#setState('open', {});
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping', msgId: newMsgId() }));
      }, PING_EVERY_MS);
      // Messages whose receipt never came: same msgId, so the gateway answers with the first receipt if it had them.
      for (const p of this.pending.values()) this.#transmit(p);
    });
    ws.addEventListener('message', (e) => {
      if (this.ws !== ws) return;
      let env;
      try {
        env = JSON.parse(e.data);
      } catch {
        return;
      }
      const seq = this.seqs && env && typeof env.seq === 'string' ? env.seq : null;
      if (seq !== null) {
        const { fresh, missed } = this.seqs.check(seq);
        if (!fresh) return; // a redelivery of what this page already showed (PROTOCOL.md §5)
        if (missed > 0) this.dispatchEvent(new CustomEvent('gap', { detail: { missed, seq } }));
      }
      if (env && env.type === 'history' && this.histories.length > 0) {
        // A history request's entries, written just before its receipt: they belong to the oldest one unanswered.
        this.histories[0].entries.push(env);
      }
      if (env && env.msgId && ANSWER_TYPES.has(env.type) && this.pending.has(env.msgId)) {
        const p = this.pending.get(env.msgId);
        this.pending.delete(env.msgId);
        clearTimeout(p.timer);
        p.resolve(env);
      }
      this.dispatchEvent(new CustomEvent('envelope', { detail: env }));
      if (seq !== null) {
        // Listeners run synchronously: the message is on screen now, so it may be acknowledged.
        this.seqs.processed(seq);
        this.#scheduleAck();
      }
    });
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      clearTimeout(this.ackTimer); // the next connection's since acknowledges what is left
      this.ackTimer = null;
      this.ws = null;
      this.#failPending('connection lost before the gateway answered', !this.wanted || e.code === REPLACED);
      if (!this.wanted) return;
      if (e.code === REPLACED) {
        // Another tab or device took over this id; reconnecting would just take it back and forth.
        this.wanted = false;
        this.#setState('replaced', { code: e.code, reason: e.reason });
        return;
      }
      const delayMs = backoffDelay(this.attempt, this.baseDelayMs, this.maxDelayMs);
      this.attempt += 1;
      this.#setState('reconnecting', { attempt: this.attempt, delayMs, code: e.code, reason: e.reason });
      this.retryTimer = setTimeout(() => this.#open(), delayMs);
    });
  }

  /** Sends a pending request (again) and starts its answer timeout. */
  #transmit(p) {
    clearTimeout(p.timer);
    p.timer = setTimeout(() => {
      this.pending.delete(p.msg.msgId);
      p.reject(new Error('no answer from the gateway'));
    }, this.answerTimeoutMs);
    this.ws.send(JSON.stringify(p.msg));
  }

  /** One cumulative ack per ackDelayMs at most, however many pushes arrive meanwhile. */
  #scheduleAck() {
    if (this.ackTimer !== null) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      const upTo = this.seqs.takeAck();
      if (upTo > 0) this.ws.send(JSON.stringify({ type: 'ack', msg: String(upTo) }));
    }, this.ackDelayMs);
  }

  /** Rejects the pending requests, except the resendable ones while the client is to reconnect. */
  #failPending(why, all) {
    for (const [msgId, p] of this.pending) {
      clearTimeout(p.timer);
      p.timer = null;
      if (p.resend && !all) continue;
      this.pending.delete(msgId);
      p.reject(new Error(why));
    }
  }

  #setState(state, detail) {
    this.state = state;
    this.dispatchEvent(new CustomEvent('state', { detail: { state, ...detail } }));
  }
}

/** "12:34" in the viewer's locale from an epoch-millis string (the wire's timestamp) or now. */
export function clockTime(timestamp) {
  const d = timestamp ? new Date(Number(timestamp)) : new Date();
  return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}
