// Chat clients for the fault drill (bench/fault-drill.sh): users and agents that chat at a steady rate while the
// script kills and restarts gateways, reconnect by themselves (to the next URL, with jittered backoff), re-send
// `match` (idempotent), and at the end reconcile every message a user sent:
//   promised   - answered with code "0" ("push success" or "stored offline"): the gateway's promise;
//   lost       - promised, but no agent ever received it;
//   duplicated - received by agents more than once.
// A send whose connection closed before its receipt arrived has no answer and is counted apart (unanswered): the
// gateway promised nothing for it. Plain (version 1) clients only; traffic goes to the given URLs only.
//
//   node drill.mjs --urls ws://127.0.0.1:18100,ws://127.0.0.1:18110 --users 40 --agents 6 --rate 800 \
//                  --duration 60 --settle 20 --out result.json
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const urls = (args.urls ?? 'ws://127.0.0.1:18100').split(',');
const USERS = Number(args.users ?? 40);
const AGENTS = Number(args.agents ?? 6);
const RATE = Number(args.rate ?? 800);
const DURATION_MS = Number(args.duration ?? 60) * 1000;
const SETTLE_MS = Number(args.settle ?? 20) * 1000;
const PATH = '/pinter/imserver/';
const run = Date.now().toString(36);

const promised = new Set();
const delivered = new Map();
const failures = {};
const counts = { sent: 0, unanswered: 0, connects: 0, reconnects: 0, storedOffline: 0 };
const reassigned = new Set();
let sending = true;
let stopping = false;

/** A client that stays connected: reconnects to the next URL after a jittered pause whenever its socket closes. */
class Client {
  constructor(id, role, index) {
    this.id = id;
    this.role = role;
    this.next = index;
    this.ws = null;
    this.connect();
  }

  connect() {
    if (stopping) return;
    const url = urls[this.next++ % urls.length] + PATH + encodeURIComponent(this.id)
                + (this.role === 'agent' ? '?role=agent' : '');
    const ws = new WebSocket(url, { handshakeTimeout: 3000 });
    this.ws = ws;
    ws.on('open', () => {
      counts.connects++;
      this.opened();
    });
    ws.on('message', data => this.received(JSON.parse(data.toString())));
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws !== ws) return;
      this.closed();
      if (!stopping) {
        counts.reconnects++;
        setTimeout(() => this.connect(), 200 + Math.random() * 500);
      }
    });
  }

  send(envelope) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(envelope));
      return true;
    }
    return false;
  }

  opened() {}
  received() {}
  closed() {}
}

class Agent extends Client {
  received(e) {
    if (e.type === 'normal') {
      delivered.set(e.msgId, (delivered.get(e.msgId) ?? 0) + 1);
    }
  }
}

class User extends Client {
  constructor(id, index) {
    super(id, 'user', index);
    this.n = 0;
    this.agent = null;
    this.firstAgent = null;
    this.pending = new Set();
  }

  opened() {
    this.agent = null;
    this.match();
  }

  match() {
    this.send({ type: 'match', msgId: 'match' });
  }

  received(e) {
    if (e.type === 'match') {
      if (e.code === '0') {
        this.agent = e.msg;
        if (this.firstAgent === null) this.firstAgent = e.msg;
        else if (this.firstAgent !== e.msg) { reassigned.add(this.id); this.firstAgent = e.msg; }
      } else {
        setTimeout(() => this.match(), 300);
      }
    } else if (e.type === 'receipt' && this.pending.delete(e.msgId)) {
      if (e.code === '0') {
        promised.add(e.msgId);
        if (e.msg === 'stored offline') counts.storedOffline++;
      }
      else failures[e.reason] = (failures[e.reason] ?? 0) + 1;
    }
  }

  closed() {
    counts.unanswered += this.pending.size;
    this.pending.clear();
    this.agent = null;
  }

  tick() {
    if (!sending || this.agent === null) return;
    const msgId = `${this.id}.${++this.n}`;
    if (this.send({ type: 'normal', msgId, to: this.agent, msg: `drill ${msgId}` })) {
      this.pending.add(msgId);
      counts.sent++;
    }
  }
}

const agents = [];
for (let i = 0; i < AGENTS; i++) agents.push(new Agent(`drill-${run}-agent-${i}`, 'agent', i));
// Users connect once the agents had a moment to register, so the first matches find them.
await new Promise(r => setTimeout(r, 1000));
const users = [];
for (let i = 0; i < USERS; i++) users.push(new User(`drill-${run}-user-${i}`, i));

const started = Date.now();
const perUserIntervalMs = 1000 * USERS / RATE;
const timer = setInterval(() => {
  for (const u of users) u.tick();
}, Math.max(1, perUserIntervalMs));
const progress = setInterval(() => {
  const s = Math.round((Date.now() - started) / 1000);
  process.stderr.write(`t=${s}s sent=${counts.sent} promised=${promised.size} delivered=${delivered.size} `
                       + `reconnects=${counts.reconnects}\n`);
}, 5000);

await new Promise(r => setTimeout(r, DURATION_MS));
sending = false;
clearInterval(timer);
// Let holds drain: clients keep reconnecting and receiving; receipts in flight arrive.
await new Promise(r => setTimeout(r, SETTLE_MS));
clearInterval(progress);
stopping = true;
for (const u of users) counts.unanswered += u.pending.size;
for (const c of [...users, ...agents]) c.ws?.terminate();

let lost = 0;
const lostSample = [];
for (const id of promised) {
  if (!delivered.has(id)) {
    lost++;
    if (lostSample.length < 20) lostSample.push(id);
  }
}
let duplicated = 0;
for (const n of delivered.values()) if (n > 1) duplicated++;
const result = {
  users: USERS, agents: AGENTS, rate: RATE, durationSeconds: DURATION_MS / 1000, urls,
  sent: counts.sent, promised: promised.size, storedOffline: counts.storedOffline, unanswered: counts.unanswered, failures,
  deliveredUnique: delivered.size, lost, duplicated, lostSample,
  connects: counts.connects, reconnects: counts.reconnects, usersGivenAnotherAgent: reassigned.size,
};
if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result));
process.exit(0);
