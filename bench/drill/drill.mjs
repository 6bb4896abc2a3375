// Chat clients for the fault drill (bench/fault-drill.sh): users and agents that chat at a steady rate while the
// script kills and restarts gateways, reconnect by themselves (to the next URL, with jittered backoff), re-send
// `match` (idempotent), and at the end reconcile every message a user sent:
//   promised   - answered with code "0" ("push success" or "stored offline"): the gateway's promise;
//   lost       - promised, but no agent ever received it (ack mode: never processed by the agent's application);
//   duplicated - received by agents more than once (ack mode: processed more than once after dropping seqs already
//                processed, i.e. the same msgId under two different seqs).
// A send whose connection closed before its receipt arrived has no answer and is counted apart (unanswered): the
// gateway promised nothing for it.
//
// --ack 1: every client speaks PROTOCOL.md §5: connects with ack=1 (and since=<last seq processed> once it has one),
// drops any seq at or below the last one it processed (counted: duplicates suppressed by seq), records seq gaps,
// acknowledges what it processed with one cumulative ack per 100 ms at most, and a user re-sends, with the same msgId,
// every normal whose receipt it never got, once it is matched again on its next connection (the gateway answers a
// resend it already delivered from its dedup memory: the receipt then carries the first send's timestamp).
//
// --kill-every S: every S seconds of the sending phase, one agent's and two users' sockets are destroyed
// (ws.terminate(): no close frame, as when a device loses its network) and they reconnect by themselves.
//
//   node drill.mjs --urls ws://127.0.0.1:18100,ws://127.0.0.1:18110 --users 40 --agents 6 --rate 800 \
//                  --duration 60 --settle 20 [--ack 1] [--kill-every 3] --out result.json
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
const ACK = args.ack === '1';
const KILL_EVERY_MS = Number(args['kill-every'] ?? 0) * 1000;
const ACK_DELAY_MS = 100;
const PATH = '/pinter/imserver/';
const run = Date.now().toString(36);
const t0 = Date.now();

const promised = new Set();
/** msgId -> times an agent's application processed it (ack mode: after dropping seqs already processed). */
const delivered = new Map();
/** msgId -> {to, at}: the receipt's time and recipient, to place a lost message on the timeline. */
const promises = new Map();
const failures = {};
/** Failures per reason and per second of the drill (seconds since the start), to tell them against the timeline. */
const failuresBySecond = {};
/** `leave` notices users got: when, who, from whom. */
const leaves = [];
const counts = {
  sent: 0, unanswered: 0, connects: 0, reconnects: 0, storedOffline: 0,
  // ack mode
  seqDuplicatesSuppressed: 0, gapEvents: 0, seqsMissing: 0, acksSent: 0, errors: 0,
  resends: 0, resendsAnsweredFromDedup: 0, resendsAnsweredFresh: 0, resendsFailed: 0,
  deliveredNotices: 0,
};
const gapSample = [];
const errorSample = [];
const deliveredNoticeIds = new Set();
const reassigned = new Set();
/** Client kills: {t (ms since start), id}. */
const kills = [];
let sending = true;
let stopping = false;

/** A client that stays connected: reconnects to the next URL after a jittered pause whenever its socket closes. */
class Client {
  constructor(id, role, index) {
    this.id = id;
    this.role = role;
    this.next = index;
    this.ws = null;
    this.last = 0;     // ack mode: the last seq processed
    this.acked = 0;    // ack mode: the last seq acknowledged (an ack sent, or since= on connect)
    this.ackTimer = null;
    this.connect();
  }

  connect() {
    if (stopping) return;
    const params = [];
    if (this.role === 'agent') params.push('role=agent');
    if (ACK) {
      params.push('ack=1');
      if (this.last > 0) params.push(`since=${this.last}`);
      this.acked = this.last; // since= acknowledges up to it
    }
    const url = urls[this.next++ % urls.length] + PATH + encodeURIComponent(this.id)
                + (params.length ? `?${params.join('&')}` : '');
    const ws = new WebSocket(url, { handshakeTimeout: 3000 });
    this.ws = ws;
    ws.on('open', () => {
      counts.connects++;
      this.opened();
    });
    ws.on('message', data => this.envelope(JSON.parse(data.toString())));
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.ws !== ws) return;
      clearTimeout(this.ackTimer); // the next connection's since= acknowledges what is left
      this.ackTimer = null;
      this.closed();
      if (!stopping) {
        counts.reconnects++;
        setTimeout(() => this.connect(), 200 + Math.random() * 500);
      }
    });
  }

  /** Every message from the gateway; in ack mode a push is processed only if its seq is new. */
  envelope(e) {
    if (e.type === 'error') {
      counts.errors++;
      if (errorSample.length < 10) errorSample.push({ id: this.id, e });
    }
    if (!ACK || typeof e.seq !== 'string') {
      this.received(e);
      return;
    }
    const n = Number(e.seq);
    if (n <= this.last) {
      counts.seqDuplicatesSuppressed++;
      return;
    }
    if (n > this.last + 1) {
      counts.gapEvents++;
      counts.seqsMissing += n - this.last - 1;
      if (gapSample.length < 500) gapSample.push({ id: this.id, after: this.last, got: n, t: Date.now() - t0 });
    }
    this.received(e);
    this.last = n;
    this.scheduleAck();
  }

  /** One cumulative ack per ACK_DELAY_MS at most, however many pushes arrive meanwhile. */
  scheduleAck() {
    if (this.ackTimer !== null) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.last > this.acked && this.send({ type: 'ack', msg: String(this.last) })) {
        this.acked = this.last;
        counts.acksSent++;
      }
    }, ACK_DELAY_MS);
  }

  send(envelope) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(envelope));
      return true;
    }
    return false;
  }

  /** Destroys the socket without a close frame, as a device losing its network would. */
  kill() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    kills.push({ t: Date.now() - t0, id: this.id });
    this.ws.terminate();
    return true;
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
    /** msgId -> {envelope, resentAt (0: not resent), orphaned (its connection closed before the receipt)} */
    this.pending = new Map();
  }

  opened() {
    this.agent = null;
    this.match();
  }

  match() {
    this.send({ type: 'match', msgId: 'match' });
  }

  received(e) {
    if (e.type === 'leave') {
      // The pairing ended on the server (the agent left, or a node released it); this client does not re-match
      // until it reconnects, so what it sends meanwhile is refused NOT_PAIRED.
      leaves.push({ t: Date.now() - t0, id: this.id, from: e.from });
    }
    if (e.type === 'match' && e.seq === undefined) {
      if (e.code === '0') {
        this.agent = e.msg;
        if (this.firstAgent === null) this.firstAgent = e.msg;
        else if (this.firstAgent !== e.msg) { reassigned.add(this.id); this.firstAgent = e.msg; }
        this.resend();
      } else {
        setTimeout(() => this.match(), 300);
      }
    } else if (e.type === 'receipt') {
      const p = this.pending.get(e.msgId);
      if (!p) return;
      this.pending.delete(e.msgId);
      if (p.resentAt > 0) {
        // A remembered receipt carries the first send's timestamp, from before the resend left.
        if (e.code !== '0') counts.resendsFailed++;
        else if (Number(e.timestamp) < p.resentAt) counts.resendsAnsweredFromDedup++;
        else counts.resendsAnsweredFresh++;
      }
      if (e.code === '0') {
        promised.add(e.msgId);
        promises.set(e.msgId, { to: p.envelope.to, at: Date.now() - t0, resent: p.resentAt > 0 });
        if (e.msg === 'stored offline') counts.storedOffline++;
      } else {
        failures[e.reason] = (failures[e.reason] ?? 0) + 1;
        const second = Math.floor((Date.now() - t0) / 1000);
        const bySecond = (failuresBySecond[e.reason] ??= {});
        bySecond[second] = (bySecond[second] ?? 0) + 1;
      }
    } else if (e.type === 'delivered') {
      counts.deliveredNotices++;
      deliveredNoticeIds.add(e.msgId);
    }
  }

  /** Ack mode: sends again, with the same msgId, every normal whose connection closed before its receipt. */
  resend() {
    for (const p of this.pending.values()) {
      if (!p.orphaned) continue;
      if (this.send(p.envelope)) {
        p.orphaned = false;
        p.resentAt = Date.now();
        counts.resends++;
      }
    }
  }

  closed() {
    if (ACK) {
      for (const p of this.pending.values()) p.orphaned = true;
    } else {
      counts.unanswered += this.pending.size;
      this.pending.clear();
    }
    this.agent = null;
  }

  tick() {
    if (!sending || this.agent === null) return;
    const msgId = `${this.id}.${++this.n}`;
    const envelope = { type: 'normal', msgId, to: this.agent, msg: `drill ${msgId}` };
    if (this.send(envelope)) {
      this.pending.set(msgId, { envelope, resentAt: 0, orphaned: false });
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
const pick = list => list[Math.floor(Math.random() * list.length)];
const killer = KILL_EVERY_MS > 0 ? setInterval(() => {
  pick(agents).kill();
  const a = pick(users);
  let b = pick(users);
  while (users.length > 1 && b === a) b = pick(users);
  a.kill();
  b.kill();
}, KILL_EVERY_MS) : null;
const progress = setInterval(() => {
  const s = Math.round((Date.now() - started) / 1000);
  process.stderr.write(`t=${s}s sent=${counts.sent} promised=${promised.size} delivered=${delivered.size} `
                       + `reconnects=${counts.reconnects} client-kills=${kills.length}`
                       + (ACK ? ` resends=${counts.resends} gaps=${counts.gapEvents}` : '') + '\n');
}, 5000);

await new Promise(r => setTimeout(r, DURATION_MS));
sending = false;
clearInterval(timer);
if (killer) clearInterval(killer);
// Let holds drain: clients keep reconnecting, receiving and acknowledging; receipts in flight and resends arrive.
await new Promise(r => setTimeout(r, SETTLE_MS));
clearInterval(progress);
stopping = true;
for (const u of users) counts.unanswered += u.pending.size;
for (const c of [...users, ...agents]) c.ws?.terminate();

// A lost message whose recipient's socket the drill destroyed within a second of its receipt is one the gateway
// wrote to a connection that was dying (plain mode: expected, docs/DELIVERY.md note 3).
const killsOf = new Map();
for (const k of kills) killsOf.set(k.id, [...(killsOf.get(k.id) ?? []), k.t]);
const nearKill = (to, at) => (killsOf.get(to) ?? []).some(t => at >= t - 1000 && at <= t + 1000);
let lost = 0;
let lostNearClientKill = 0;
const lostSample = [];
for (const id of promised) {
  if (!delivered.has(id)) {
    lost++;
    const p = promises.get(id);
    if (nearKill(p.to, p.at)) lostNearClientKill++;
    if (lostSample.length < 200) lostSample.push({ msgId: id, ...p, nearClientKill: nearKill(p.to, p.at) });
  }
}
let duplicated = 0;
let deliveredOnce = 0;
const duplicatedSample = [];
for (const [id, n] of delivered) {
  if (n > 1) {
    duplicated++;
    if (duplicatedSample.length < 20) duplicatedSample.push({ msgId: id, times: n, ...promises.get(id) });
  } else deliveredOnce++;
}
let promisedWithNotice = 0;
/** Promised messages without a delivered notice, by the second (since start) of their receipt. */
const noticeMissingBySecond = {};
for (const id of promised) {
  if (deliveredNoticeIds.has(id)) promisedWithNotice++;
  else if (ACK) {
    const s = Math.floor(promises.get(id).at / 1000);
    noticeMissingBySecond[s] = (noticeMissingBySecond[s] ?? 0) + 1;
  }
}
const result = {
  mode: ACK ? 'ack' : 'plain',
  startedAt: new Date(t0).toISOString(), users: USERS, agents: AGENTS, rate: RATE, durationSeconds: DURATION_MS / 1000, urls,
  sent: counts.sent, promised: promised.size, storedOffline: counts.storedOffline, unanswered: counts.unanswered, failures, failuresBySecond, leaves,
  deliveredUnique: delivered.size, deliveredOnce, lost, lostNearClientKill, lostOther: lost - lostNearClientKill,
  duplicated, lostSample, duplicatedSample,
  connects: counts.connects, reconnects: counts.reconnects, usersGivenAnotherAgent: reassigned.size,
  clientKills: kills.length, killEverySeconds: KILL_EVERY_MS / 1000,
  errors: counts.errors, errorSample,
};
if (ACK) {
  Object.assign(result, {
    seqDuplicatesSuppressed: counts.seqDuplicatesSuppressed, gapEvents: counts.gapEvents,
    seqsMissing: counts.seqsMissing, gapSample, acksSent: counts.acksSent,
    resends: counts.resends, resendsAnsweredFromDedup: counts.resendsAnsweredFromDedup,
    resendsAnsweredFresh: counts.resendsAnsweredFresh, resendsFailed: counts.resendsFailed,
    deliveredNotices: counts.deliveredNotices, deliveredNoticesUnique: deliveredNoticeIds.size, promisedWithNotice,
    noticeMissingBySecond, clientKillTimes: kills,
  });
}
if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2));
console.log(JSON.stringify(result));
process.exit(0);
