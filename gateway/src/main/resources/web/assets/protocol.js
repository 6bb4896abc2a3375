// Switchboard wire protocol v1 (shared/PROTOCOL.md) for the browser: one WebSocket per user id, reconnect with
// exponential backoff and full jitter, msgId generation, and correlation of answers (receipt, match, pong, error)
// to the request that carries the same msgId. No dependencies, no build step.

/** The WebSocket path prefix; the gateway writes its configured path into <meta name="sb-ws-path">. */
export function wsPath() {
  const meta = document.querySelector('meta[name="sb-ws-path"]');
  const path = meta && meta.content && !meta.content.includes('{{') ? meta.content : '/pinter/imserver';
  return path.replace(/\/+$/, '');
}

/** ws(s)://host/<path>/<userId>[?role=agent] for this page's origin. */
export function wsUrl(userId, role) {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = role === 'agent' ? '?role=agent' : '';
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

const ANSWER_TYPES = new Set(['receipt', 'match', 'pong', 'error']);
const REPLACED = 4001;
const PING_EVERY_MS = 25000;

/**
 * Events (CustomEvent, detail in parentheses):
 *  - 'state'    ({state: 'connecting'|'open'|'reconnecting'|'closed'|'replaced', attempt, delayMs, code, reason})
 *  - 'envelope' (the parsed server message), for every message, answers included
 */
export class SwitchboardClient extends EventTarget {
  constructor(userId, { role = 'user', baseDelayMs = 500, maxDelayMs = 15000, answerTimeoutMs = 15000 } = {}) {
    super();
    this.userId = userId;
    this.role = role;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
    this.answerTimeoutMs = answerTimeoutMs;
    this.state = 'closed';
    this.attempt = 0;
    this.pending = new Map(); // msgId -> {resolve, reject, timer}
    this.ws = null;
    this.retryTimer = null;
    this.pingTimer = null;
    this.wanted = false;
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
    this.#setState('closed', {});
  }

  /**
   * Sends an envelope (adds a msgId if it has none) and resolves with the server's answer carrying that msgId.
   * Rejects if the socket is not open, the connection drops first, or no answer comes in time.
   */
  request(envelope) {
    const msg = { ...envelope, msgId: envelope.msgId || newMsgId() };
    return new Promise((resolve, reject) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
        reject(new Error('not connected'));
        return;
      }
      const timer = setTimeout(() => {
        this.pending.delete(msg.msgId);
        reject(new Error('no answer from the gateway'));
      }, this.answerTimeoutMs);
      this.pending.set(msg.msgId, { resolve, reject, timer });
      this.ws.send(JSON.stringify(msg));
    });
  }

  /** {type:'match'}: resolves with the match answer (msg = agent id, or code "1" with reason NO_AGENT). */
  match() {
    return this.request({ type: 'match', from: this.userId, to: 'system' });
  }

  /** {type:'normal'}: resolves with the receipt. */
  sendNormal(to, text, msgId) {
    return this.request({ type: 'normal', msgId: msgId || newMsgId(), to, msg: text });
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
    const ws = new WebSocket(wsUrl(this.userId, this.role));
    this.ws = ws;
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.#setState('open', {});
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping', msgId: newMsgId() }));
      }, PING_EVERY_MS);
    });
    ws.addEventListener('message', (e) => {
      if (this.ws !== ws) return;
      let env;
      try {
        env = JSON.parse(e.data);
      } catch {
        return;
      }
      if (env && env.msgId && ANSWER_TYPES.has(env.type) && this.pending.has(env.msgId)) {
        const p = this.pending.get(env.msgId);
        this.pending.delete(env.msgId);
        clearTimeout(p.timer);
        p.resolve(env);
      }
      this.dispatchEvent(new CustomEvent('envelope', { detail: env }));
    });
    ws.addEventListener('close', (e) => {
      if (this.ws !== ws) return;
      clearInterval(this.pingTimer);
      this.ws = null;
      this.#failPending('connection lost before the gateway answered');
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

  #failPending(why) {
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
    this.pending.clear();
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
