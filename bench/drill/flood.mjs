// Flood fairness (issue #12): one client floods the gateway with `normal` messages back to back while a bystander
// on the same gateway sends an application `ping` every 20 ms and times each `pong`. Reports the bystander's round
// trip percentiles before the flood (baseline) and during it, and what the flooder got back.
//
//   node flood.mjs --url ws://127.0.0.1:18300 --messages 100000 --baseline 10 --out result.json
//
// An independent client (the `ws` package), not the project's load tester. Traffic goes to the given URL only
// (127.0.0.1 in bench/flood.sh); the run stops by itself once the flood is answered or after --timeout seconds.
import { writeFileSync } from 'node:fs';
import WebSocket from 'ws';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1]]);
  return pairs;
}, []));
const URL = args.url ?? 'ws://127.0.0.1:18300';
const MESSAGES = Number(args.messages ?? 100000);
const BASELINE_MS = Number(args.baseline ?? 10) * 1000;
const TIMEOUT_MS = Number(args.timeout ?? 120) * 1000;
const PING_EVERY_MS = 20;
const PATH = '/pinter/imserver/';
const run = Date.now().toString(36);

const open = (id, query = '') => new Promise((resolve, reject) => {
  const ws = new WebSocket(URL + PATH + id + query);
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});

const percentile = (sorted, p) => sorted.length === 0 ? null
  : sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)];
const summary = (samples) => {
  const s = [...samples].sort((a, b) => a - b);
  return { count: s.length, p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99),
           max: s.length ? s[s.length - 1] : null };
};

const agent = await open(`flood-agent-${run}`, '?role=agent');
const bystander = await open(`flood-bystander-${run}`);
const flooder = await open(`flood-user-${run}`);
agent.on('message', () => {});

// The flooder is paired, so its messages are routed (not refused as NOT_PAIRED) while its budget lasts.
await new Promise((resolve) => {
  flooder.once('message', resolve);
  flooder.send(JSON.stringify({ type: 'match', msgId: 'm', to: 'system' }));
});

let phase = 'baseline';
const rtt = { baseline: [], flood: [] };
const sent = new Map();
let pings = 0;
bystander.on('message', (data) => {
  const m = JSON.parse(data.toString());
  if (m.type !== 'pong') return;
  const at = sent.get(m.msgId);
  if (at === undefined) return;
  sent.delete(m.msgId);
  rtt[at.phase].push(Number(process.hrtime.bigint() - at.t) / 1e6);
});
const pinger = setInterval(() => {
  const id = `p${++pings}`;
  sent.set(id, { t: process.hrtime.bigint(), phase });
  bystander.send(JSON.stringify({ type: 'ping', msgId: id }));
}, PING_EVERY_MS);

await new Promise((r) => setTimeout(r, BASELINE_MS));

// The flood: every message written at once, as fast as the socket takes them.
phase = 'flood';
const answers = { total: 0, success: 0, rateLimited: 0, other: 0 };
const floodStart = Date.now();
let lastAnswerAt = floodStart;
const done = new Promise((resolve) => {
  flooder.on('message', (data) => {
    const m = JSON.parse(data.toString());
    if (m.type !== 'receipt') return;
    answers.total++;
    lastAnswerAt = Date.now();
    if (m.code === '0') answers.success++;
    else if (m.reason === 'RATE_LIMITED') answers.rateLimited++;
    else answers.other++;
    if (answers.total === MESSAGES) resolve();
  });
  setTimeout(resolve, TIMEOUT_MS);
});
const agentId = `flood-agent-${run}`;
for (let i = 0; i < MESSAGES; i++) {
  flooder.send(`{"type":"normal","msgId":"f${i}","to":"${agentId}","msg":"flood ${i}"}`);
}
await done;
phase = 'after';
clearInterval(pinger);

const result = {
  url: URL, messages: MESSAGES,
  bystanderPingMs: { baseline: summary(rtt.baseline), flood: summary(rtt.flood) },
  bystanderPingsUnanswered: sent.size,
  flooder: { ...answers, seconds: (lastAnswerAt - floodStart) / 1000 },
};
console.log(JSON.stringify(result, null, 2));
if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2));
for (const ws of [agent, bystander, flooder]) ws.terminate();
process.exit(0);
