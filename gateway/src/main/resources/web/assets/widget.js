// Customer widget: connect as a user with acknowledged delivery (ack=1), "Contact support" (match with "queue": the
// position in line while every agent is busy), chat with the assigned agent (who may transfer it to another), typing
// indicators both ways, receipts, delivered notices and read marks as ticks, reconnect with backoff (held messages
// arrive on reconnect, each shown once), the conversation's history after a reload, "End chat" (leave).
import { SwitchboardClient, validUserId, clockTime, newMsgId } from './protocol.js';
import { addMessage, addNotice, insertByTime, setTick, describeState, throttle, TypingIndicator } from './chat-ui.js';
import { DELIVERED, READ, nextTick, receiptStatusFor } from './receipts.js';

const $ = (id) => document.getElementById(id);
const login = $('login');
const userInput = $('user-id');
const chat = $('chat');
const log = $('log');
const text = $('text');
const send = $('send');
const contact = $('contact');
const end = $('end');
const pill = $('conn');
const pairStatus = $('pair-status');
const agentLine = $('agent-line');
const queueLine = $('queue-line');
const typing = new TypingIndicator($('typing'));

let client = null;
let agent = null;
/** The position in the waiting queue (1 = next), or 0 when not waiting. */
let position = 0;
let everOpened = false;
/** msgId -> {li, tick} of this page's own messages, in the order sent, for the delivered notices and read marks. */
const sent = new Map();
/** msgIds of every message shown (both sides), so the history after a reload or reconnect adds only what is missing. */
const shown = new Set();
/** The newest agent message shown, and the one last reported read (PROTOCOL.md §6 read). */
let lastTheirs = null;
let lastReadSent = null;
let readTimer = null;
/** sessionStorage key of this user's conversation: {agent} or {queued: true}, so a reload knows what it had. */
let convoKey = '';
const sendTyping = throttle(() => client.typing(agent));

userInput.value = localStorage.getItem('sb.userId') || '';

login.addEventListener('submit', (e) => {
  e.preventDefault();
  const id = userInput.value.trim();
  if (!validUserId(id)) {
    $('user-id-error').textContent = 'Please enter 1–128 characters without spaces or “/”.';
    userInput.setAttribute('aria-invalid', 'true');
    userInput.focus();
    return;
  }
  localStorage.setItem('sb.userId', id);
  start(id);
});

function start(id) {
  login.hidden = true;
  chat.hidden = false;
  convoKey = `sb.convo.${id}`;
  const saved = loadConvo();
  if (saved.agent) setAgent(saved.agent);
  position = saved.queued ? -1 : 0; // asked again on connect: the gateway keeps the place through a reload
  client = new SwitchboardClient(id, { role: 'user', ack: true });
  window.sbClient = client; // handy from the devtools console
  client.addEventListener('state', (e) => onState(e.detail));
  client.addEventListener('envelope', (e) => onEnvelope(e.detail));
  client.addEventListener('gap', (e) => addNotice(log, missedText(e.detail.missed), 'warn'));
  client.connect();
  addNotice(log, `Signed in as ${id}.`);
}

function onState(s) {
  const { label, state } = describeState(s);
  pill.textContent = label;
  pill.dataset.state = state;
  if (s.state === 'open') {
    if (everOpened) addNotice(log, 'Reconnected.');
    everOpened = true;
    render();
    resume();
    // The sign-in form just went away: move focus to the next thing to do rather than leave it on <body>.
    if (document.activeElement === document.body || !document.activeElement) (agent ? text : contact).focus();
  } else if (s.state === 'reconnecting' && s.delayMs !== undefined && s.attempt === 1) {
    // One notice per drop; the pill shows the later attempts.
    addNotice(log, 'Connection lost. Reconnecting…', 'warn');
  } else if (s.state === 'replaced') {
    addNotice(log, 'This chat was opened somewhere else, so it was closed here.', 'bad');
  }
  render();
}

/** After each (re)connect: ask for the place in line again, or fill in what the conversation had (a reload). */
async function resume() {
  if (position !== 0 && !agent) {
    try {
      // The answer (`queue` or `match`) is handled in onEnvelope; a failure means the place is gone.
      const answer = await client.queue();
      if (answer.code !== '0') setQueued(0);
    } catch { /* dropped again: the next open asks again */ }
  } else if (agent) {
    await loadHistory();
  }
}

async function loadHistory() {
  let result;
  try {
    result = await client.history(50);
  } catch {
    return; // dropped before the answer: the next open asks again
  }
  let mark = null;
  for (const h of result.entries) {
    if (!h.msgId || shown.has(h.msgId)) continue;
    const mine = h.from === client.userId;
    const li = insertByTime(log, { text: h.msg, mine, who: mine ? 'You' : 'Agent', time: clockTime(h.timestamp),
      ts: Number(h.timestamp) });
    shown.add(h.msgId);
    if (mine) {
      // Sent before the reload: a read mark for it or a later one still shows.
      const m = { li, tick: { status: 'history', text: '' } };
      setTick(li, m.tick);
      sent.set(h.msgId, m);
    } else {
      mark = h.msgId;
    }
  }
  if (mark && !lastTheirs) seen(mark);
}

function onEnvelope(env) {
  switch (env.type) {
    case 'normal':
      if (env.from === 'system') break;
      if (!agent) setAgent(env.from); // held messages after a page reload
      typing.hide();
      if (env.msgId && shown.has(env.msgId)) break; // already there from the history
      addMessage(log, { text: env.msg, mine: false, who: 'Agent', time: clockTime(env.timestamp), ts: Number(env.timestamp) });
      if (env.msgId) {
        shown.add(env.msgId);
        seen(env.msgId);
      }
      break;
    case 'queue':
      if (env.code === '0' && !agent) setQueued(Number(env.msg));
      break;
    case 'match':
      if (env.code === '0' && env.msg && env.msg !== agent) {
        const was = agent;
        setQueued(0);
        setAgent(env.msg);
        addNotice(log, was ? `You were transferred to agent ${env.msg}.` : `You are now chatting with agent ${env.msg}.`);
        if (!document.activeElement || document.activeElement === document.body || document.activeElement === contact) {
          text.focus();
        }
      } else if (env.code === '1' && env.reason === 'QUEUE_TIMEOUT') {
        setQueued(0);
        addNotice(log, 'Nobody could take your chat in time. Please try again later.', 'warn');
      }
      break;
    case 'leave':
      if (env.from === 'system' && env.msg === agent) {
        addNotice(log, 'The agent left the chat.', 'warn');
        setAgent(null);
      }
      break;
    case 'typing':
      if (env.code === '0' && agent && env.from === agent) typing.show('Agent is typing…');
      break;
    case 'read':
      if (env.code === '0' && agent && env.from === agent) markRead(env.msg);
      break;
    case 'delivered':
      showTick(env.msgId, DELIVERED);
      break;
    case 'error':
      addNotice(log, `The gateway could not read a message: ${env.msg}`, 'bad');
      break;
    default:
      break;
  }
}

function missedText(n) {
  return n === 1 ? 'A message could not be kept for you and is missing here.'
    : `${n} messages could not be kept for you and are missing here.`;
}

function showTick(msgId, tick) {
  const m = sent.get(msgId);
  if (!m) return;
  m.tick = nextTick(m.tick, tick);
  setTick(m.li, m.tick);
}

/** Our messages up to and including `msgId` are read by the agent ("read up to that message"). */
function markRead(msgId) {
  if (!sent.has(msgId)) return;
  for (const [id] of sent) {
    showTick(id, READ);
    if (id === msgId) break;
  }
}

/** An agent message is on screen: report it read now if the page is visible, else once it becomes visible. */
function seen(msgId) {
  lastTheirs = msgId;
  reportRead();
}

function reportRead() {
  if (readTimer !== null || document.visibilityState !== 'visible' || !agent) return;
  // One read mark for a burst of messages: the newest one covers those before it.
  readTimer = setTimeout(() => {
    readTimer = null;
    if (lastTheirs && lastTheirs !== lastReadSent && agent && document.visibilityState === 'visible'
        && client.read(agent, lastTheirs)) {
      lastReadSent = lastTheirs;
    }
  }, 150);
}

document.addEventListener('visibilitychange', reportRead);

function loadConvo() {
  try {
    return JSON.parse(sessionStorage.getItem(convoKey) || '{}') || {};
  } catch {
    return {};
  }
}

function saveConvo() {
  try {
    if (agent) sessionStorage.setItem(convoKey, JSON.stringify({ agent }));
    else if (position !== 0) sessionStorage.setItem(convoKey, JSON.stringify({ queued: true }));
    else sessionStorage.removeItem(convoKey);
  } catch { /* storage disabled: a reload starts over */ }
}

function setAgent(id) {
  agent = id;
  if (id) position = 0;
  else typing.hide();
  pairStatus.textContent = id ? `Chatting with agent ${id}` : 'Not talking to anyone.';
  agentLine.textContent = id ? `Agent ${id}` : 'We usually answer within a minute';
  saveConvo();
  render();
}

/** Waiting in line at `n` (1 = next); 0: not waiting. */
function setQueued(n) {
  position = n > 0 ? n : 0;
  queueLine.hidden = position === 0;
  queueLine.textContent = position === 1 ? 'You are number 1 in line: you are next.' : `You are number ${position} in line.`;
  if (position > 0) pairStatus.textContent = 'Waiting for an agent…';
  else if (!agent) pairStatus.textContent = 'Not talking to anyone.';
  saveConvo();
  render();
}

function render() {
  const open = client && client.isOpen;
  const waiting = position !== 0 && !agent;
  contact.hidden = Boolean(agent) || waiting;
  end.hidden = !agent && !waiting;
  end.textContent = waiting ? 'Leave the queue' : 'End chat';
  contact.disabled = !open;
  end.disabled = !open;
  text.disabled = !agent;
  send.disabled = !agent || !open;
  if (!waiting) queueLine.hidden = true;
}

contact.addEventListener('click', async () => {
  contact.disabled = true;
  try {
    // Wait in line when every agent is busy (PROTOCOL.md §6); the position and the match come to onEnvelope.
    const answer = await client.queue();
    if (answer.type === 'queue') {
      addNotice(log, 'All agents are busy. You are in line; an agent will be with you shortly.');
    } else if (answer.code !== '0') {
      addNotice(log, answer.reason === 'NO_AGENT' || answer.reason === 'QUEUE_FULL'
        ? 'All agents are busy right now. Please try again in a moment.'
        : `Could not reach support: ${answer.msg}`, 'warn');
    }
  } catch (err) {
    addNotice(log, `Could not reach support: ${err.message}`, 'bad');
  } finally {
    render();
  }
});

end.addEventListener('click', async () => {
  const was = agent;
  const waiting = !was && position !== 0;
  try {
    await client.leave(was || undefined);
  } catch (err) {
    addNotice(log, `Could not end the chat: ${err.message}`, 'bad');
    return;
  }
  if (waiting) {
    setQueued(0);
    addNotice(log, 'You left the queue.');
  } else {
    setAgent(null);
    addNotice(log, 'You ended the chat.');
  }
  contact.focus();
});

text.addEventListener('input', () => {
  if (agent && client.isOpen && text.value.trim() !== '') sendTyping();
});

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
  const body = text.value;
  if (!agent || !client.isOpen || body.trim() === '') return;
  text.value = '';
  const li = addMessage(log, { text: body, mine: true, who: 'You', time: clockTime() });
  setTick(li, 'sending');
  const msgId = newMsgId();
  sent.set(msgId, { li, tick: null });
  shown.add(msgId);
  try {
    showTick(msgId, receiptStatusFor(await client.sendNormal(agent, body, msgId), 'Stored offline ✓ (agent away)'));
  } catch (err) {
    showTick(msgId, { status: 'failed', text: `Not confirmed: ${err.message}` });
  }
}
