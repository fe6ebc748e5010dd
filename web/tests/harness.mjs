// What the browser test needs: a dev node on loopback, a static server for
// the built app, and Debian's Chromium through playwright-core.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { chromium } from 'playwright-core';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function nodeBinary() {
  const bin = process.env.CPCHAIN_NODE || '/root/.cache/cpchain/target/release/cpchain-node';
  if (!existsSync(bin)) throw new Error(`no cpchain-node at ${bin} (set CPCHAIN_NODE)`);
  return bin;
}

/// Starts `cpchain-node --dev --tmp` on loopback; resolves once its RPC answers.
export async function startNode(log = () => {}) {
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const child = spawn(
    nodeBinary(),
    [
      '--dev', '--tmp', '--rpc-port', String(rpcPort), '--no-prometheus', '--no-telemetry', '--no-mdns',
      '--listen-addr', `/ip4/127.0.0.1/tcp/${p2pPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Whatever ends this process, the node goes with it.
  const reap = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', reap);
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      reap();
      process.exit(130);
    });
  }
  let output = '';
  const keep = (d) => {
    output = (output + d.toString()).slice(-20000);
    log(d.toString());
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const url = `http://127.0.0.1:${rpcPort}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`cpchain-node exited: ${output.slice(-2000)}`);
    try {
      const r = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'chain_getFinalizedHead', params: [] }),
      });
      const j = await r.json();
      const h = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 1, jsonrpc: '2.0', method: 'chain_getHeader', params: [j.result] }),
      }).then((x) => x.json());
      if (parseInt(h.result.number, 16) >= 1) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`cpchain-node did not start: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    ws: `ws://127.0.0.1:${rpcPort}`,
    http: url,
    child,
    output: () => output,
    stop: () => stopChild(child),
  };
}

function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode) return resolve();
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(t);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.wasm': 'application/wasm', '.json': 'application/json' };

/// Serves `dir` on 127.0.0.1, index.html for unknown paths.
export async function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    if (!file.startsWith(dir) || !existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => server.close(r)) };
}

export async function launchBrowser() {
  // playwright-core gives each launch a fresh temporary profile
  // (--user-data-dir) of its own and removes it on close.
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  return {
    browser,
    stop: async () => {
      await browser.close().catch(() => {});
    },
  };
}
