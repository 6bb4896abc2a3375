// Unit tests of the pages' shared client (gateway/src/main/resources/web/assets/protocol.js) in plain Node, with a
// fake WebSocket and mocked timers: the acknowledged-delivery bookkeeping of PROTOCOL.md §5 (seq, dedup, since,
// coalesced cumulative acks, resends with the same msgId). No gateway, no browser.
import assert from 'node:assert/strict';
import path from 'node:path';
import { beforeEach, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROTOCOL = pathToFileURL(path.resolve(here, '..', '..', 'gateway', 'src', 'main', 'resources', 'web', 'assets',
  'protocol.js'));

/** The browser globals protocol.js touches, faked. */
class FakeWebSocket extends EventTarget {
  static OPEN = 1;
  static sockets = [];

  constructor(url) {
    super();
    this.url = new URL(url);
    this.readyState = 0;
    this.sent = [];
    FakeWebSocket.sockets.push(this);
  }

  send(text) {
    assert.equal(this.readyState, FakeWebSocket.OPEN, 'send on a socket that is not open');
    this.sent.push(JSON.parse(text));
  }

  close(code = 1000, reason = '') {
    this.drop(code, reason);
  }

  // ---- the test's side ----
  open() {
    this.readyState = FakeWebSocket.OPEN;
    this.dispatchEvent(new Event('open'));
  }

  receive(env) {
    this.dispatchEvent(Object.assign(new Event('message'), { data: JSON.stringify(env) }));
  }

  drop(code = 1006, reason = '') {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }

  sentOf(type) {
    return this.sent.filter((m) => m.type === type);
  }
}

globalThis.WebSocket = FakeWebSocket;
globalThis.location = { protocol: 'http:', host: 'gw.test' };
globalThis.document = { querySelector: () => null };

const { SeqTracker, SwitchboardClient, wsUrl } = await import(PROTOCOL);

function memoryStorage(initial = {}) {
  const m = new Map(Object.entries(initial));
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)), map: m };
}

const normal = (seq, text) => ({ type: 'normal', code: '0', from: 'agent-ada', to: 'alice', msgId: `m${seq}`, msg: text, seq: String(seq) });

const latestSocket = () => FakeWebSocket.sockets[FakeWebSocket.sockets.length - 1];

describe('SeqTracker', () => {
  test('drops what was processed, reports skipped seqs, and acknowledges the highest processed once', () => {
    const t = new SeqTracker(memoryStorage(), 'k');
    assert.equal(t.resume(), 0);
    assert.deepEqual(t.check('1'), { fresh: true, missed: 0 });
    t.processed('1');
    t.processed('2');
    assert.deepEqual(t.check('2'), { fresh: false, missed: 0 });
    assert.deepEqual(t.check('1'), { fresh: false, missed: 0 });
    assert.equal(t.takeAck(), 2);
    assert.equal(t.takeAck(), 0, 'nothing new to acknowledge');
    assert.deepEqual(t.check('5'), { fresh: true, missed: 2 });
  });

  test('the first seq a fresh page sees is not a gap (earlier ones were acknowledged elsewhere)', () => {
    const t = new SeqTracker(memoryStorage(), 'k');
    assert.deepEqual(t.check('7'), { fresh: true, missed: 0 });
  });

  test('the last processed seq is kept in storage; resume() gives it as since, which counts as acknowledged', () => {
    const storage = memoryStorage();
    const t = new SeqTracker(storage, 'sb.seq.alice');
    t.processed('3');
    assert.equal(storage.map.get('sb.seq.alice'), '3');
    const reloaded = new SeqTracker(storage, 'sb.seq.alice');
    assert.equal(reloaded.resume(), 3);
    assert.equal(reloaded.takeAck(), 0);
    assert.deepEqual(reloaded.check('3'), { fresh: false, missed: 0 });
  });

  test('garbage in storage or a throwing storage starts from nothing', () => {
    assert.equal(new SeqTracker(memoryStorage({ k: 'x1' }), 'k').resume(), 0);
    const throwing = { getItem() { throw new Error('denied'); }, setItem() { throw new Error('denied'); } };
    const t = new SeqTracker(throwing, 'k');
    t.processed('4');
    assert.equal(t.takeAck(), 4);
  });

  test('seqs that are not positive decimal strings are not tracked', () => {
    const t = new SeqTracker(null, 'k');
    for (const bad of ['', '0', '-1', '1.5', 'x', undefined]) assert.deepEqual(t.check(bad), { fresh: true, missed: 0 });
    t.processed('abc');
    assert.equal(t.takeAck(), 0);
  });
});

describe('SwitchboardClient with ack', () => {
  let storage;

  beforeEach((t) => {
    FakeWebSocket.sockets = [];
    storage = memoryStorage();
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  });

  function connected(options = {}) {
    const client = new SwitchboardClient('alice', { ack: true, storage, ...options });
    const shown = [];
    client.addEventListener('envelope', (e) => shown.push(e.detail));
    client.connect();
    latestSocket().open();
    return { client, shown, ws: latestSocket() };
  }

  /** Lets the reconnect backoff (at most baseDelayMs 500 on the first attempt) fire and opens the new socket. */
  function reconnect(t) {
    t.mock.timers.tick(1000);
    const ws = latestSocket();
    ws.open();
    return ws;
  }

  test('wsUrl: role, ack and since only when asked for', () => {
    assert.equal(wsUrl('alice'), 'ws://gw.test/pinter/imserver/alice');
    assert.equal(wsUrl('t 1', 'agent', { ack: true, since: 4 }), 'ws://gw.test/pinter/imserver/t%201?role=agent&ack=1&since=4');
    assert.equal(wsUrl('alice', 'user', { ack: true, since: 0 }), 'ws://gw.test/pinter/imserver/alice?ack=1');
    assert.equal(wsUrl('alice', 'user', { since: 4 }), 'ws://gw.test/pinter/imserver/alice');
  });

  test('connects with ack=1, and since= once a seq was processed (kept per userId across a reload)', (t) => {
    const { client, ws } = connected();
    assert.equal(ws.url.search, '?ack=1');
    ws.receive(normal(1, 'hi'));
    client.close();
    const reloaded = new SwitchboardClient('alice', { ack: true, storage });
    reloaded.connect();
    assert.equal(latestSocket().url.search, '?ack=1&since=1');
    reloaded.close();
    const someoneElse = new SwitchboardClient('bob', { ack: true, storage });
    someoneElse.connect();
    assert.equal(latestSocket().url.search, '?ack=1');
  });

  test('many pushes at once get one cumulative ack after ackDelayMs, not one each', (t) => {
    const { ws } = connected();
    for (let seq = 1; seq <= 5; seq++) ws.receive(normal(seq, `m${seq}`));
    assert.deepEqual(ws.sentOf('ack'), [], 'not before the delay');
    t.mock.timers.tick(99);
    assert.deepEqual(ws.sentOf('ack'), []);
    t.mock.timers.tick(1);
    assert.deepEqual(ws.sentOf('ack'), [{ type: 'ack', msg: '5' }]);
    ws.receive(normal(6, 'm6'));
    t.mock.timers.tick(100);
    assert.deepEqual(ws.sentOf('ack').map((a) => a.msg), ['5', '6']);
    t.mock.timers.tick(1000);
    assert.equal(ws.sentOf('ack').length, 2, 'nothing new, no ack');
  });

  test('answers (no seq) are not acknowledged; a redelivered seq is dropped, never shown twice', (t) => {
    const { shown, ws } = connected();
    ws.receive({ type: 'pong', code: '0', msgId: 'p1' });
    ws.receive(normal(1, 'one'));
    ws.receive(normal(1, 'one'));
    ws.receive(normal(2, 'two'));
    t.mock.timers.tick(100);
    assert.deepEqual(shown.map((e) => e.msg ?? e.type), ['pong', 'one', 'two']);
    assert.deepEqual(ws.sentOf('ack'), [{ type: 'ack', msg: '2' }]);
  });

  test('after a drop it resumes with since=<last processed>; redeliveries at or below it are dropped', (t) => {
    const { shown, ws } = connected();
    ws.receive(normal(1, 'one'));
    ws.receive(normal(2, 'two'));
    ws.drop(); // before the ack went out
    t.mock.timers.tick(100);
    assert.deepEqual(ws.sentOf('ack'), [], 'no ack on a closed socket');
    const back = reconnect(t);
    assert.equal(back.url.searchParams.get('since'), '2');
    back.receive(normal(2, 'two'));
    back.receive(normal(3, 'three'));
    t.mock.timers.tick(100);
    assert.deepEqual(shown.map((e) => e.msg), ['one', 'two', 'three']);
    assert.deepEqual(back.sentOf('ack'), [{ type: 'ack', msg: '3' }], 'since acknowledged 2; only 3 is new');
  });

  test('a jump in the seqs is reported as a gap, and the messages are still shown', () => {
    const { client, shown, ws } = connected();
    const gaps = [];
    client.addEventListener('gap', (e) => gaps.push(e.detail));
    ws.receive(normal(1, 'one'));
    ws.receive(normal(4, 'four'));
    assert.deepEqual(gaps, [{ missed: 2, seq: '4' }]);
    assert.deepEqual(shown.map((e) => e.msg), ['one', 'four']);
  });

  test('a normal whose receipt did not come is sent again after the reconnect with the same msgId', async (t) => {
    const { client, ws } = connected();
    const receipt = client.sendNormal('agent-ada', 'are you there?', 'x-1');
    const match = client.match();
    assert.equal(ws.sentOf('normal')[0].msgId, 'x-1');
    ws.drop();
    await assert.rejects(match, /connection lost/, 'other requests still fail on a drop');
    const back = reconnect(t);
    assert.deepEqual(back.sentOf('normal'), [{ type: 'normal', msgId: 'x-1', to: 'agent-ada', msg: 'are you there?' }]);
    back.receive({ type: 'receipt', code: '0', msg: 'push success', msgId: 'x-1' });
    assert.equal((await receipt).msg, 'push success');
    back.drop();
    reconnect(t);
    assert.deepEqual(latestSocket().sentOf('normal'), [], 'answered: not sent a third time');
  });

  test('the answer timeout counts per connection; close() and a replacement reject what is waiting', async (t) => {
    const { client, ws } = connected({ answerTimeoutMs: 1000 });
    const waiting = client.sendNormal('agent-ada', 'hello', 'x-2');
    ws.drop();
    t.mock.timers.tick(5000); // offline for longer than the timeout: still waiting
    const back = latestSocket();
    back.open();
    t.mock.timers.tick(1000);
    await assert.rejects(waiting, /no answer/);

    const closing = client.sendNormal('agent-ada', 'bye', 'x-3');
    back.drop();
    client.close();
    await assert.rejects(closing, /closed/);

    const other = new SwitchboardClient('carol', { ack: true, storage });
    other.connect();
    latestSocket().open();
    const replaced = other.sendNormal('agent-ada', 'hi', 'x-4');
    latestSocket().drop(4001, 'replaced');
    await assert.rejects(replaced, /connection lost/);
    assert.equal(other.state, 'replaced');
  });
});

describe('SwitchboardClient without ack', () => {
  beforeEach(() => { FakeWebSocket.sockets = []; });

  test('plain connection as before: no ack=1, seqs not interpreted, nothing acknowledged, drops reject', async () => {
    const client = new SwitchboardClient('alice', { storage: memoryStorage() });
    const shown = [];
    client.addEventListener('envelope', (e) => shown.push(e.detail.msg));
    client.connect();
    const ws = latestSocket();
    ws.open();
    assert.equal(ws.url.search, '');
    ws.receive(normal(1, 'one'));
    ws.receive(normal(1, 'one'));
    assert.deepEqual(shown, ['one', 'one']);
    const receipt = client.sendNormal('agent-ada', 'hi');
    ws.drop();
    await assert.rejects(receipt, /connection lost/);
    assert.deepEqual(ws.sentOf('ack'), []);
    client.close();
  });
});

describe('SwitchboardClient: customer-service requests (PROTOCOL.md §6)', () => {
  beforeEach((t) => {
    FakeWebSocket.sockets = [];
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
  });

  function connected() {
    const client = new SwitchboardClient('alice', { ack: true, storage: memoryStorage() });
    client.connect();
    latestSocket().open();
    return { client, ws: latestSocket() };
  }

  test('queue() resolves with the queue answer carrying its msgId; later positions are plain envelopes', async () => {
    const { client, ws } = connected();
    const seen = [];
    client.addEventListener('envelope', (e) => seen.push(e.detail));
    const answer = client.queue();
    const [sent] = ws.sentOf('match');
    assert.equal(sent.msg, 'queue');
    ws.receive({ type: 'queue', code: '0', msgId: sent.msgId, msg: '2' });
    assert.equal((await answer).msg, '2');
    ws.receive({ type: 'queue', code: '0', msgId: 'srv-1', msg: '1' });
    assert.deepEqual(seen.map((e) => e.msg), ['2', '1']);
    assert.equal(client.pending.size, 0);
  });

  test('typing and read are sent without a msgId and leave nothing pending; not sent while offline', () => {
    const { client, ws } = connected();
    assert.equal(client.typing('agent-ada'), true);
    assert.equal(client.read('agent-ada', 'm7'), true);
    assert.deepEqual(ws.sentOf('typing'), [{ type: 'typing', to: 'agent-ada' }]);
    assert.deepEqual(ws.sentOf('read'), [{ type: 'read', to: 'agent-ada', msg: 'm7' }]);
    assert.equal(client.pending.size, 0);
    ws.drop();
    assert.equal(client.typing('agent-ada'), false);
  });

  test('history() collects the history messages written before its receipt, oldest first', async () => {
    const { client, ws } = connected();
    const result = client.history(2, 'bob');
    const [sent] = ws.sentOf('history');
    assert.equal(sent.msg, '2');
    assert.equal(sent.to, 'bob');
    ws.receive({ type: 'history', code: '0', from: 'bob', to: 'alice', msgId: 'h1', msg: 'first' });
    ws.receive({ type: 'history', code: '0', from: 'alice', to: 'bob', msgId: 'h2', msg: 'second' });
    ws.receive({ type: 'receipt', code: '0', msgId: sent.msgId, msg: '2' });
    const { entries, receipt } = await result;
    assert.equal(receipt.msg, '2');
    assert.deepEqual(entries.map((e) => e.msg), ['first', 'second']);
    assert.equal(client.histories.length, 0);
  });
});
