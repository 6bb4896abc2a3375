// Customer widget: connect as a user with acknowledged delivery (ack=1), "Contact support" (match), chat with the
// assigned agent, receipts and delivered notices as ticks, reconnect with backoff (held messages arrive on reconnect,
// each shown once), "End chat" (leave).
import { SwitchboardClient, validUserId, clockTime, newMsgId } from './protocol.js';
import { addMessage, addNotice, setTick, describeState } from './chat-ui.js';
import { DELIVERED, nextTick, receiptStatusFor } from './receipts.js';

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

let client = null;
let agent = null;
let everOpened = false;
/** msgId -> {li, tick} of this page's own messages, for the delivered notices. */
const sent = new Map();

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

function onEnvelope(env) {
  switch (env.type) {
    case 'normal':
      if (!agent && env.from !== 'system') setAgent(env.from); // held messages after a page reload
      addMessage(log, { text: env.msg, mine: false, who: 'Agent', time: clockTime(env.timestamp) });
      break;
    case 'match':
      // An unsolicited match (msgId not ours) only reaches agents; answers are handled in contactSupport().
      break;
    case 'leave':
      if (env.from === 'system' && env.msg === agent) {
        addNotice(log, 'The agent left the chat.', 'warn');
        setAgent(null);
      }
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

function setAgent(id) {
  agent = id;
  pairStatus.textContent = id ? `Chatting with agent ${id}` : 'Not talking to anyone.';
  agentLine.textContent = id ? `Agent ${id}` : 'We usually answer within a minute';
  render();
}

function render() {
  const open = client && client.isOpen;
  contact.hidden = Boolean(agent);
  end.hidden = !agent;
  contact.disabled = !open;
  end.disabled = !open;
  text.disabled = !agent;
  send.disabled = !agent || !open;
}

contact.addEventListener('click', async () => {
  contact.disabled = true;
  try {
    const answer = await client.match();
    if (answer.code === '0') {
      setAgent(answer.msg);
      addNotice(log, `You are now chatting with agent ${answer.msg}.`);
      text.focus();
    } else {
      addNotice(log, answer.reason === 'NO_AGENT'
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
  try {
    await client.leave(was);
  } catch (err) {
    addNotice(log, `Could not end the chat: ${err.message}`, 'bad');
    return;
  }
  setAgent(null);
  addNotice(log, 'You ended the chat.');
  contact.focus();
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
  try {
    showTick(msgId, receiptStatusFor(await client.sendNormal(agent, body, msgId), 'Stored offline ✓ (agent away)'));
  } catch (err) {
    showTick(msgId, { status: 'failed', text: `Not confirmed: ${err.message}` });
  }
}
