// Starts the built gateway jar on a free loopback port and launches Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.resolve(here, '..', 'artifacts');
const JAR = process.env.SWITCHBOARD_JAR || path.resolve(here, '..', '..', 'gateway', 'target', 'switchboard-gateway.jar');
const LAUNCHER = path.resolve(here, '..', '..', 'bin', 'switchboard');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export const LAUNCH_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function freePort() {
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Spawns the jar; resolves with the process once /readyz answers 200. */
async function spawnGateway(args, base, log) {
  // The launcher, as a user starts it (README): its JVM defaults, with the jar under test.
  const proc = spawn(LAUNCHER, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SWITCHBOARD_JAR: JAR } });
  proc.stdout.on('data', log);
  proc.stderr.on('data', log);
  const deadline = Date.now() + 30000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`gateway exited ${proc.exitCode}`);
    try {
      const res = await fetch(`${base}/readyz`);
      if (res.status === 200) return proc;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error('gateway not ready within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopProcess(proc, signal) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15000);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs the gateway with a fresh data directory of its own (so runs share no held messages or sequences); resolves
 * once /readyz answers 200. restart() stops it and starts it again on the same port and data directory.
 */
export async function startGateway(extraArgs = []) {
  if (!existsSync(JAR)) throw new Error(`${JAR} is missing: build it first (./mvnw -q -pl gateway -am -DskipTests package)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'switchboard-e2e-'));
  const args = ['--host', '127.0.0.1', '--port', String(port), '--data-dir', dataDir, ...extraArgs];
  let output = '';
  const log = (d) => { output += d; };
  const start = async () => {
    try {
      return await spawnGateway(args, base, log);
    } catch (e) {
      throw new Error(`${e.message}:\n${output}`);
    }
  };
  let proc = await start();
  return {
    base,
    port,
    dataDir,
    output: () => output,
    /** Stops the process (SIGTERM, or e.g. SIGKILL for a crash) and starts it again; resolves once it is ready. */
    async restart(signal = 'SIGTERM') {
      await stopProcess(proc, signal);
      proc = await start();
    },
    async stop() {
      await stopProcess(proc, 'SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser() {
  return chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
}

/** GET /dashboard/stats; with the gateway's API key it names the agents, without one it shows counts only. */
export async function stats(base, apiKey) {
  const res = await fetch(`${base}/dashboard/stats`, apiKey ? { headers: { Authorization: `Bearer ${apiKey}` } } : {});
  return res.json();
}

/** Polls fn until it returns truthy (or throws the last error after timeoutMs). */
export async function eventually(fn, timeoutMs = 10000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
