// DOM helpers shared by the customer widget and the agent console. Text only (textContent), never HTML.

/**
 * Appends a chat bubble to an <ol class="log"> and keeps it scrolled to the end; returns the <li>. `ts` (epoch ms,
 * the server's timestamp when known) orders messages from the history among those shown.
 */
export function addMessage(log, { text, mine, who, time, ts = Date.now() }) {
  const li = document.createElement('li');
  li.className = `msg ${mine ? 'mine' : 'theirs'}`;
  li.dataset.ts = String(ts);
  const bubble = document.createElement('div');
  bubble.className = 'bubble';
  bubble.textContent = text;
  const meta = document.createElement('div');
  meta.className = 'meta';
  const from = document.createElement('span');
  from.className = 'visually-hidden';
  from.textContent = `${who}:`;
  li.append(from, bubble, meta);
  const t = document.createElement('span');
  t.textContent = time;
  meta.append(t);
  if (mine) {
    const tick = document.createElement('span');
    tick.className = 'tick';
    meta.append(tick);
  }
  append(log, li);
  return li;
}

/**
 * Inserts a bubble for a message from the history in time order: before the first bubble shown with a later
 * timestamp, else at the end (held messages may still arrive after the history answer). Returns the <li>.
 */
export function insertByTime(log, { text, mine, who, time, ts }) {
  const li = addMessage(log, { text, mine, who, time, ts });
  const later = [...log.querySelectorAll('.msg')].find((m) => m !== li && Number(m.dataset.ts) > ts);
  if (later) log.insertBefore(li, later);
  return li;
}

/**
 * Calls send() at most once per `everyMs` while the user keeps typing (PROTOCOL.md §6 typing: the peer shows an
 * indicator for a few seconds after each one).
 */
export function throttle(send, everyMs = 2500) {
  let last = -Infinity;
  return () => {
    const now = Date.now();
    if (now - last < everyMs) return;
    if (send() !== false) last = now;
  };
}

/** Shows an element (e.g. "Agent is typing…") on each show() and hides it `hideAfterMs` after the last one. */
export class TypingIndicator {
  constructor(el, hideAfterMs = 4000) {
    this.el = el;
    this.hideAfterMs = hideAfterMs;
    this.timer = null;
  }

  show(text, forMs = this.hideAfterMs) {
    if (text) this.el.textContent = text;
    this.el.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.hide(), forMs);
  }

  hide() {
    clearTimeout(this.timer);
    this.el.hidden = true;
  }
}

/** A centred one-line notice ("The agent left the chat."); kind: '' | 'warn' | 'bad'. */
export function addNotice(log, text, kind = '') {
  const li = document.createElement('li');
  li.className = `notice ${kind}`.trim();
  li.textContent = text;
  append(log, li);
  return li;
}

/**
 * Sets a sent message's delivery tick: 'sending' or {status, text, read}. A read mark shows (data-read) once the
 * message is delivered or came from the history.
 */
export function setTick(li, status) {
  const tick = li.querySelector('.tick');
  if (!tick) return;
  if (status === 'sending' || !status.status) {
    tick.dataset.status = 'sending';
    tick.textContent = 'Sending…';
    delete tick.dataset.read;
    return;
  }
  tick.dataset.status = status.status;
  const read = status.read && (status.status === 'delivered' || status.status === 'history');
  if (read) {
    tick.dataset.read = 'true';
    tick.textContent = status.status === 'delivered' ? '✓✓ delivered · read' : '✓✓ read';
  } else {
    delete tick.dataset.read;
    tick.textContent = status.text;
  }
}

/** The connection pill's text and colour for a client 'state' event. */
export function describeState(s) {
  switch (s.state) {
    case 'open': return { label: 'Online', state: 'open' };
    case 'connecting': return { label: 'Connecting…', state: 'connecting' };
    case 'reconnecting': return { label: s.delayMs !== undefined ? `Reconnecting (try ${s.attempt})` : 'Reconnecting…', state: 'reconnecting' };
    case 'replaced': return { label: 'Opened elsewhere', state: 'replaced' };
    default: return { label: 'Offline', state: 'closed' };
  }
}

function append(log, li) {
  const atEnd = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(li);
  if (atEnd || li.classList.contains('mine')) log.scrollTop = log.scrollHeight;
}
