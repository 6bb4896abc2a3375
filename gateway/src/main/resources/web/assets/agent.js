// Agent console: connect as an agent with acknowledged delivery (ack=1), one conversation per assigned user (from
// match notifications), unread counts, delivered ticks, end a conversation (leave), notices when a user leaves or is
// offline (receipt "stored offline").
import { SwitchboardClient, validUserId, clockTime, newMsgId } from './protocol.js';
import { addMessage, addNotice, setTick, describeState } from './chat-ui.js';
import { DELIVERED, nextTick, receiptStatusFor } from './receipts.js';

const $ = (id) => document.getElementById(id);
const convoList = $('convos');
const log = $('log');
const text = $('text');
const send = $('send');
const leave = $('leave');
const title = $('convo-title');
const status = $('convo-status');
const announcer = $('announcer');

/** userId -> {id, items: [render fns' data], unread, state: 'active'|'offline'|'left'|'closed', button} */
const convos = new Map();
/** msgId -> the item of a reply this console sent, for the delivered notices. */
const sent = new Map();
let current = null;
let client = null;

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
  $('login').hidden = true;
  $('console').hidden = false;
  $('me').textContent = `Signed in as ${id}`;
  client = new SwitchboardClient(id, { role: 'agent', ack: true });
  window.sbClient = client;
  client.addEventListener('state', (ev) => {
    const { label, state } = describeState(ev.detail);
    $('conn').textContent = label;
    $('conn').dataset.state = state;
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
    note(c, `${env.msg} joined. Say hello!`);
    announce(`New customer: ${env.msg}`);
    if (!current) select(env.msg);
  } else if (env.type === 'normal' && env.from !== 'system') {
    const c = convo(env.from);
    if (c.state === 'offline') c.state = 'active';
    push(c, { kind: 'msg', text: env.msg, mine: false, who: env.from, time: clockTime(env.timestamp) });
    if (current !== env.from) {
      c.unread += 1;
      announce(`New message from ${env.from}`);
    }
  } else if (env.type === 'delivered' && env.code === '0') {
    showTick(sent.get(env.msgId), DELIVERED);
  } else if (env.type === 'leave' && env.from === 'system' && env.code === '0') {
    const c = convo(env.msg);
    c.state = 'left';
    note(c, `${env.msg} left the chat.`, 'warn');
    announce(`${env.msg} left the chat`);
  }
  renderList();
  render();
}

function showTick(item, tick) {
  if (!item) return;
  item.tick = nextTick(item.tick === 'sending' ? null : item.tick, tick);
  if (item.el && item.el.isConnected) setTick(item.el, item.tick);
}

function convo(id) {
  let c = convos.get(id);
  if (!c) {
    c = { id, items: [], unread: 0, state: 'active' };
    convos.set(id, c);
  }
  return c;
}

function push(c, item) {
  c.items.push(item);
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
  renderList();
  render();
}

const STATE_TEXT = { active: 'In conversation', offline: 'Offline — messages are held for them', left: 'Left the chat', closed: 'Conversation ended' };

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
    sub.className = 'sub';
    sub.textContent = STATE_TEXT[c.state];
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
  leave.disabled = !canTalk || !open;
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

async function sendText() {
  const c = current && convos.get(current);
  const body = text.value;
  if (!c || !client.isOpen || body.trim() === '') return;
  text.value = '';
  const item = push(c, { kind: 'msg', text: body, mine: true, who: 'You', time: clockTime(), tick: 'sending' });
  const msgId = newMsgId();
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
