// Agent console: connect as an agent with acknowledged delivery (ack=1), one conversation per assigned user (from
// match notifications), unread counts, delivered ticks and read marks, end a conversation (leave), notices when a user
// leaves or is offline (receipt "stored offline"). PROTOCOL.md §6: an available/away switch (status), transfer of a
// conversation to a named agent or any, typing indicators both ways, read marks sent for what the agent has seen, and
// the conversation's history loaded when it opens (what was said before a transfer).
import { SwitchboardClient, validUserId, clockTime, newMsgId } from './protocol.js';
import { addMessage, addNotice, setTick, describeState, throttle, TypingIndicator } from './chat-ui.js';
import { DELIVERED, READ, nextTick, receiptStatusFor } from './receipts.js';

const $ = (id) => document.getElementById(id);
const convoList = $('convos');
const log = $('log');
const text = $('text');
const send = $('send');
const leave = $('leave');
const title = $('convo-title');
const status = $('convo-status');
const announcer = $('announcer');
const availableBox = $('available');
const transferForm = $('transfer');
const transferTo = $('transfer-to');
const typingLine = new TypingIndicator($('typing'));
const TYPING_SHOWN_MS = 4000;

/**
 * userId -> {id, items, ids: msgIds shown, unread, state: 'active'|'offline'|'left'|'closed'|'transferred',
 * typingUntil, lastTheirs, lastReadSent, transferring}
 */
const convos = new Map();
/** msgId -> the item of a reply this console sent, for the delivered notices. */
const sent = new Map();
let current = null;
let client = null;
let me = '';
const sendTyping = throttle(() => client.typing(current));

$('agent-id').value = localStorage.getItem('sb.agentId') || '';

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  const id = $('agent-id').value.trim();
  if (!validUserId(id)) {
    $('agent-id-error').textContent = 'Please enter 1–128 characters without spaces or “/”.';
    $('agent-id').setAttribute('aria-invalid', 'true');
    return;
  }
  localStorage.setItem('sb.agentId', id);
  me = id;
  $('status-label').hidden = false;
  $('login').hidden = true;
  $('console').hidden = false;
  $('me').textContent = `Signed in as ${id}`;
  client = new SwitchboardClient(id, { role: 'agent', ack: true });
  window.sbClient = client;
  client.addEventListener('state', (ev) => {
    const { label, state } = describeState(ev.detail);
    $('conn').textContent = label;
    $('conn').dataset.state = state;
    // Every connection starts available (PROTOCOL.md §6): an agent who had switched to away stays away.
    if (ev.detail.state === 'open' && !availableBox.checked) setStatus('away');
    render();
  });
  client.addEventListener('envelope', (ev) => onEnvelope(ev.detail));
  client.addEventListener('gap', (ev) => {
    // The seq is the agent's, across all conversations: say it where the agent is looking.
    const missed = `${ev.detail.missed} message(s) could not be kept for you and are missing.`;
    if (current) note(convos.get(current), missed, 'warn');
    announce(missed);
  });
  client.connect();
});

function onEnvelope(env) {
  if (env.type === 'match' && env.from === 'system' && env.code === '0') {
    const c = convo(env.msg);
    c.state = 'active';
    c.transferring = false;
    note(c, `${env.msg} joined. Say hello!`);
    announce(`New customer: ${env.msg}`);
    if (!current) select(env.msg);
    loadHistory(c);
  } else if (env.type === 'normal' && env.from !== 'system') {
    const c = convo(env.from);
    if (c.state === 'offline') c.state = 'active';
    c.typingUntil = 0;
    if (!env.msgId || !c.ids.has(env.msgId)) {
      push(c, { kind: 'msg', text: env.msg, mine: false, who: env.from, time: clockTime(env.timestamp), msgId: env.msgId,
        ts: Number(env.timestamp) });
      if (env.msgId) c.lastTheirs = env.msgId;
      if (current !== env.from) {
        c.unread += 1;
        announce(`New message from ${env.from}`);
      } else {
        reportRead(c);
      }
    }
  } else if (env.type === 'delivered' && env.code === '0') {
    showTick(sent.get(env.msgId), DELIVERED);
  } else if (env.type === 'read' && env.code === '0' && convos.has(env.from)) {
    markRead(convos.get(env.from), env.msg);
  } else if (env.type === 'typing' && env.code === '0' && convos.has(env.from)) {
    const c = convos.get(env.from);
    c.typingUntil = Date.now() + TYPING_SHOWN_MS;
    setTimeout(() => {
      renderList();
      render();
    }, TYPING_SHOWN_MS + 50);
  } else if (env.type === 'leave' && env.from === 'system' && env.code === '0') {
    const c = convo(env.msg);
    // A transfer this console asked for also ends with a leave (before or after the answer, which says where the
    // customer went): not a customer who left.
    if (!c.transferring && c.state !== 'transferred') {
      c.state = 'left';
      note(c, `${env.msg} left the chat.`, 'warn');
      announce(`${env.msg} left the chat`);
    }
  }
  renderList();
  render();
}

/** Fills in what was said before this console had the conversation (a transfer), without repeating what it shows. */
async function loadHistory(c) {
  let result;
  try {
    result = await client.history(50, c.id);
  } catch {
    return;
  }
  const earlier = [];
  let newestTheirs = null;
  for (const h of result.entries) {
    if (!h.msgId || c.ids.has(h.msgId)) continue;
    c.ids.add(h.msgId);
    const theirs = h.from === c.id;
    // A reply by another agent (before a transfer) shows who wrote it where the tick would be.
    const tick = theirs ? null : { status: 'history', text: h.from === me ? '✓ sent' : `by ${h.from}` };
    earlier.push({ kind: 'msg', text: h.msg, mine: !theirs, who: h.from, time: clockTime(h.timestamp),
      msgId: h.msgId, tick, ts: Number(h.timestamp) });
    if (theirs) newestTheirs = h.msgId;
  }
  if (newestTheirs && !c.lastTheirs) c.lastTheirs = newestTheirs;
  if (earlier.length === 0) return;
  // In time order among what is shown: held messages may still arrive after the history answer.
  for (const item of earlier) {
    const later = c.items.findIndex((i) => i.kind === 'msg' && i.ts > item.ts);
    c.items.splice(later < 0 ? c.items.length : later, 0, item);
  }
  if (current === c.id) select(c.id);
  reportRead(c);
}

/** The customer has read up to `msgId` of this console's replies: every reply of ours up to it is read. */
function markRead(c, msgId) {
  const upTo = c.items.findIndex((i) => i.msgId === msgId);
  if (upTo < 0) return;
  for (let i = 0; i <= upTo; i += 1) {
    const item = c.items[i];
    if (item.kind === 'msg' && item.mine && item.tick !== null && item.tick?.status !== 'history') {
      showTick(item, READ);
    }
  }
}

/** Tells the customer what the agent has seen: the newest of their messages, when it is on a visible screen. */
function reportRead(c) {
  if (!c || c.id !== current || document.visibilityState !== 'visible') return;
  if (!c.lastTheirs || c.lastTheirs === c.lastReadSent || !(c.state === 'active' || c.state === 'offline')) return;
  if (client.read(c.id, c.lastTheirs)) c.lastReadSent = c.lastTheirs;
}

document.addEventListener('visibilitychange', () => reportRead(current && convos.get(current)));

async function setStatus(status) {
  availableBox.disabled = true;
  try {
    const r = await client.setStatus(status);
    if (r.code !== '0') throw new Error(r.msg);
    availableBox.checked = r.msg === 'available';
    announce(availableBox.checked ? 'You are available for new customers' : 'You are away: no new customers');
  } catch (err) {
    availableBox.checked = status !== 'available';
    announce(`Could not change your status: ${err.message}`);
  } finally {
    availableBox.disabled = false;
    $('status-text').textContent = availableBox.checked ? 'Available' : 'Away';
  }
}

availableBox.addEventListener('change', () => {
  $('status-text').textContent = availableBox.checked ? 'Available' : 'Away';
  if (client && client.isOpen) setStatus(availableBox.checked ? 'available' : 'away');
});

function showTick(item, tick) {
  if (!item) return;
  item.tick = nextTick(item.tick === 'sending' ? null : item.tick, tick);
  if (item.el && item.el.isConnected) setTick(item.el, item.tick);
}

function convo(id) {
  let c = convos.get(id);
  if (!c) {
    c = { id, items: [], ids: new Set(), unread: 0, state: 'active', typingUntil: 0, lastTheirs: null,
      lastReadSent: null, transferring: false };
    convos.set(id, c);
  }
  return c;
}

function push(c, item) {
  c.items.push(item);
  if (item.msgId) c.ids.add(item.msgId);
  if (current === c.id) item.el = draw(item);
  return item;
}

function note(c, textLine, kind = '') {
  return push(c, { kind: 'notice', text: textLine, level: kind });
}

function draw(item) {
  if (item.kind === 'notice') return addNotice(log, item.text, item.level);
  const li = addMessage(log, item);
  if (item.mine) setTick(li, item.tick || 'sending');
  return li;
}

function select(id) {
  current = id;
  const c = convos.get(id);
  c.unread = 0;
  log.replaceChildren();
  for (const item of c.items) item.el = draw(item);
  log.scrollTop = log.scrollHeight;
  reportRead(c);
  renderList();
  render();
}

const STATE_TEXT = {
  active: 'In conversation',
  offline: 'Offline — messages are held for them',
  left: 'Left the chat',
  closed: 'Conversation ended',
  transferred: 'Transferred to another agent',
};

const isTyping = (c) => c.typingUntil > Date.now() && (c.state === 'active' || c.state === 'offline');

function renderList() {
  convoList.replaceChildren();
  $('no-convos').hidden = convos.size > 0;
  for (const c of convos.values()) {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('aria-current', String(c.id === current));
    const label = document.createElement('span');
    label.className = 'who';
    label.textContent = c.id;
    const sub = document.createElement('span');
    sub.className = isTyping(c) ? 'sub typing-now' : 'sub';
    sub.textContent = isTyping(c) ? 'typing…' : STATE_TEXT[c.state];
    label.append(sub);
    b.append(label);
    if (c.unread > 0) {
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.textContent = String(c.unread);
      badge.setAttribute('aria-label', `${c.unread} unread`);
      b.append(badge);
    }
    b.addEventListener('click', () => {
      select(c.id);
      text.focus();
    });
    li.append(b);
    convoList.append(li);
  }
}

function render() {
  const c = current && convos.get(current);
  const open = client && client.isOpen;
  const canTalk = Boolean(c) && (c.state === 'active' || c.state === 'offline');
  title.textContent = c ? c.id : 'No conversation selected';
  status.textContent = c ? STATE_TEXT[c.state] : '';
  text.disabled = !canTalk;
  send.disabled = !canTalk || !open;
  leave.disabled = !canTalk || !open || c.transferring;
  transferTo.disabled = !canTalk || c.transferring;
  $('transfer-go').disabled = !canTalk || !open || c.transferring;
  if (c && isTyping(c)) typingLine.show(`${c.id} is typing…`, c.typingUntil - Date.now());
  else typingLine.hide();
}

function announce(msg) {
  announcer.textContent = msg;
}

$('composer').addEventListener('submit', (e) => {
  e.preventDefault();
  sendText();
});
text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    sendText();
  }
});

text.addEventListener('input', () => {
  const c = current && convos.get(current);
  if (c && (c.state === 'active' || c.state === 'offline') && client.isOpen && text.value.trim() !== '') sendTyping();
});

transferForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const c = current && convos.get(current);
  if (!c || c.transferring) return;
  const wanted = transferTo.value.trim();
  const to = wanted.toLowerCase() === 'any' ? '' : wanted;
  c.transferring = true;
  render();
  try {
    const r = await client.transfer(c.id, to);
    if (r.code !== '0') {
      note(c, `Could not transfer ${c.id}: ${TRANSFER_FAILURES[r.reason] || r.msg}`, 'bad');
    } else {
      c.state = 'transferred';
      note(c, `Transferred ${c.id} to ${r.msg}.`);
      announce(`${c.id} was transferred to ${r.msg}`);
      transferTo.value = '';
    }
  } catch (err) {
    note(c, `Could not transfer ${c.id}: ${err.message}`, 'bad');
  } finally {
    c.transferring = false;
    renderList();
    render();
  }
});

const TRANSFER_FAILURES = {
  NO_AGENT: 'no agent has room for them right now.',
  UNKNOWN_AGENT: 'no such agent is online.',
  NOT_PAIRED: 'they are not your customer any more.',
};

async function sendText() {
  const c = current && convos.get(current);
  const body = text.value;
  if (!c || !client.isOpen || body.trim() === '') return;
  text.value = '';
  const msgId = newMsgId();
  const item = push(c, { kind: 'msg', text: body, mine: true, who: 'You', time: clockTime(), tick: 'sending', msgId,
    ts: Date.now() });
  sent.set(msgId, item);
  let tick;
  try {
    tick = receiptStatusFor(await client.sendNormal(c.id, body, msgId), 'The customer is offline: stored, delivered when they return');
  } catch (err) {
    tick = { status: 'failed', text: `Not confirmed: ${err.message}` };
  }
  if (tick.status === 'stored' && c.state === 'active' && !(item.tick && item.tick.status === 'delivered')) {
    c.state = 'offline';
    note(c, `${c.id} is offline. Messages are held and delivered when they reconnect.`, 'warn');
    renderList();
    render();
  }
  showTick(item, tick);
}

leave.addEventListener('click', async () => {
  const c = current && convos.get(current);
  if (!c) return;
  try {
    const r = await client.leave(c.id);
    if (r.code !== '0') throw new Error(r.msg);
    c.state = 'closed';
    note(c, 'You ended the conversation.');
  } catch (err) {
    note(c, `Could not end the conversation: ${err.message}`, 'bad');
  }
  renderList();
  render();
});
