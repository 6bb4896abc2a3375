// Operations dashboard: polls GET /dashboard/stats (docs/DASHBOARD.md) every second and draws small time series.
import { Sparkline } from './sparkline.js';

const POLL_MS = 1000;
const HISTORY = 120; // two minutes of one-second points

const charts = {};
for (const canvas of document.querySelectorAll('canvas[data-series]')) {
  charts[canvas.dataset.series] = new Sparkline(canvas, HISTORY);
}
let previous = null;
let apiKey = sessionStorage.getItem('sb.apiKey') || '';

const live = document.getElementById('live');
const updated = document.getElementById('updated');
const authForm = document.getElementById('auth');

authForm.addEventListener('submit', (e) => {
  e.preventDefault();
  apiKey = document.getElementById('api-key').value;
  sessionStorage.setItem('sb.apiKey', apiKey);
  authForm.hidden = true;
  document.getElementById('dash').hidden = false;
  poll();
});

async function poll() {
  let stats;
  try {
    const headers = apiKey ? { Authorization: `Bearer ${apiKey}` } : {};
    const res = await fetch('/dashboard/stats', { headers, cache: 'no-store' });
    if (res.status === 401) {
      setLive('error', 'API key needed');
      authForm.hidden = false;
      document.getElementById('dash').hidden = true;
      document.getElementById('api-key').focus();
      return; // resumes when the key is submitted
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    stats = await res.json();
  } catch (err) {
    setLive('reconnecting', 'Gateway unreachable');
    setTimeout(poll, POLL_MS);
    return;
  }
  show(stats);
  setTimeout(poll, POLL_MS);
}

function setLive(state, label) {
  live.dataset.state = state;
  live.textContent = label;
}

function show(s) {
  setLive('open', 'Live');
  updated.textContent = `Updated ${new Date(s.timestamp).toLocaleTimeString()} · up ${uptime(s.uptimeMillis)}`;
  let rate = null;
  if (previous && s.timestamp > previous.timestamp) {
    rate = Math.max(0, (s.messages.routed - previous.messages.routed) * 1000 / (s.timestamp - previous.timestamp));
  }
  previous = s;
  const lat = s.latency.interval;
  const values = {
    rate: rate === null ? '–' : formatRate(rate),
    p99: lat.count ? micros(lat.p99) : '–',
    p50: lat.count ? micros(lat.p50) : '–',
    max: lat.count ? micros(lat.max) : '–',
    p99total: s.latency.total.count ? micros(s.latency.total.p99) : '–',
    longestWait: s.queue.longestWaitMillis === null ? '–' : millis(s.queue.longestWaitMillis),
    waitP50: s.queue.wait.count ? millis(s.queue.wait.p50) : '–',
    waitP99: s.queue.wait.count ? millis(s.queue.wait.p99) : '–',
  };
  for (const el of document.querySelectorAll('[data-k]')) {
    const k = el.dataset.k;
    const v = k in values ? values[k] : lookup(s, k);
    el.textContent = typeof v === 'number' ? v.toLocaleString() : String(v ?? '–');
  }
  plot('connections', s.connections.total, `${s.connections.total} connections`);
  plot('pairings', s.pairings, `${s.pairings} pairs`);
  if (rate !== null) plot('rate', rate, `${formatRate(rate)} messages per second`);
  plot('p99', lat.count ? lat.p99 : 0, `p99 ${values.p99}`, micros);
  plot('offlineHeld', s.offlineHeld, `${s.offlineHeld} held`);
  plot('queue', s.queue.length, `${s.queue.length} waiting`);
  showLoads(s.agents);
  showReasons(s.receipts);
}

function plot(name, value, now, format) {
  const chart = charts[name];
  chart.push(value);
  chart.draw(format);
  chart.canvas.setAttribute('aria-label', `${chart.canvas.dataset.label || name}: now ${now}`);
}

/** "counters.offline.delivered" reads s.counters["offline.delivered"]; others walk the dots. */
function lookup(s, path) {
  if (path.startsWith('counters.')) return s.counters[path.slice('counters.'.length)];
  return path.split('.').reduce((o, k) => (o == null ? undefined : o[k]), s);
}

function showLoads(agents) {
  const ul = document.getElementById('loads');
  ul.replaceChildren();
  document.getElementById('no-loads').hidden = agents.top.some((a) => a.load > 0);
  for (const a of agents.top) {
    if (a.load === 0) continue;
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = a.id;
    const track = document.createElement('span');
    track.className = 'track';
    track.setAttribute('aria-hidden', 'true');
    const fill = document.createElement('span');
    fill.className = 'fill';
    fill.style.display = 'block';
    fill.style.width = `${Math.min(100, (100 * a.load) / agents.capacity)}%`;
    track.append(fill);
    const n = document.createElement('span');
    n.textContent = `${a.load}/${agents.capacity}`;
    li.append(name, track, n);
    ul.append(li);
  }
}

function showReasons(r) {
  const dl = document.getElementById('reasons');
  dl.replaceChildren();
  const rows = [['push success', r.pushSuccess], ['stored offline', r.storedOffline]];
  for (const [reason, n] of Object.entries(r.failed)) {
    if (n > 0) rows.push([reason, n]);
  }
  for (const [k, v] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v.toLocaleString();
    dl.append(dt, dd);
  }
}

function micros(us) {
  if (us >= 1000000) return `${(us / 1000000).toFixed(2)} s`;
  if (us >= 1000) return `${(us / 1000).toFixed(us >= 10000 ? 0 : 1)} ms`;
  return `${us} µs`;
}

/** A wait in milliseconds: "850 ms", "12.3 s", "4 min 05 s". */
function millis(ms) {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

function formatRate(r) {
  return r >= 100 ? Math.round(r).toLocaleString() : r.toFixed(1);
}

function uptime(ms) {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}

for (const c of document.querySelectorAll('canvas[data-series]')) c.dataset.label = c.getAttribute('aria-label');
poll();
