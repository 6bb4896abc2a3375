// The static pages over plain HTTP: types, caching, HEAD, 404s for anything not whitelisted, stats JSON.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startGateway } from './gateway.js';

let gw;
before(async () => { gw = await startGateway(); });
after(async () => { await gw?.stop(); });

test('pages and assets are served with their content types, ETag and no-cache', async () => {
  for (const [path, type] of [['/', 'text/html'], ['/agent', 'text/html'], ['/dashboard', 'text/html'],
    ['/assets/protocol.js', 'text/javascript'], ['/assets/app.css', 'text/css']]) {
    const res = await fetch(gw.base + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type'), new RegExp(`^${type}`), path);
    assert.match(res.headers.get('etag'), /^"[0-9a-f]+"$/, path);
    assert.equal(res.headers.get('cache-control'), 'no-cache', path);
    assert.ok((await res.text()).length > 0, path);
  }
  const page = await (await fetch(`${gw.base}/`)).text();
  assert.match(page, /<meta name="sb-ws-path" content="\/pinter\/imserver">/);
});

test('a matching If-None-Match gets 304 without a body', async () => {
  const first = await fetch(`${gw.base}/agent`);
  const etag = first.headers.get('etag');
  const again = await fetch(`${gw.base}/agent`, { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
});

test('HEAD answers the headers of GET and no body', async () => {
  const get = await fetch(`${gw.base}/assets/protocol.js`);
  const head = await fetch(`${gw.base}/assets/protocol.js`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String((await get.arrayBuffer()).byteLength));
  assert.equal(await head.text(), '');
});

test('anything outside the whitelist is 404, traversal included; other methods 405', async () => {
  for (const path of ['/assets/../index.html', '/assets/%2e%2e/web/index.html', '/assets/', '/web/index.html',
    '/index.html', '/agent/', '/assets/nope.js', '/assets/protocol.js/..', '/logback.xml']) {
    const res = await fetch(gw.base + path);
    assert.equal(res.status, 404, path);
  }
  const post = await fetch(`${gw.base}/agent`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('/dashboard/stats is JSON, not cached, with every documented figure', async () => {
  const res = await fetch(`${gw.base}/dashboard/stats`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  const s = await res.json();
  for (const k of ['timestamp', 'uptimeMillis', 'connections', 'pairings', 'agents', 'offlineHeld', 'messages',
    'receipts', 'latency', 'counters']) {
    assert.ok(k in s, k);
  }
  assert.deepEqual(Object.keys(s.connections), ['total', 'users', 'agents']);
  assert.equal(s.latency.unit, 'us');
  assert.equal(s.receipts.failed.EMPTY_MSG, 0);
});

test('health endpoints still answer behind the static pages', async () => {
  assert.equal((await fetch(`${gw.base}/healthz`)).status, 200);
  assert.equal((await fetch(`${gw.base}/pinter/imserver/x`)).status, 426);
});
