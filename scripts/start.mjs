#!/usr/bin/env node
// `npm start`: the local stack as plain processes (no Docker). The TS edge
// proxy on :8080 in front of two appserver instances running the sample app,
// each with its own metrics port. Ctrl-C (or SIGTERM) drains and stops all.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const host = '127.0.0.1';
const workers = process.env.TSGI_START_WORKERS ?? '2';
const dist = (p) => `${root}${p}`;

const programs = [
  {
    name: 'app-a',
    bin: dist('appserver/dist/cli.js'),
    args: ['--bind', `${host}:8001`, '--metrics-bind', `${host}:9101`, '--workers', workers, dist('sample-app/dist/app.js') + ':app'],
    port: 8001,
    urls: [`http://${host}:8001/  (appserver A)`, `http://${host}:9101/metrics  (appserver A metrics)`],
  },
  {
    name: 'app-b',
    bin: dist('appserver/dist/cli.js'),
    args: ['--bind', `${host}:8002`, '--metrics-bind', `${host}:9102`, '--workers', workers, dist('sample-app/dist/app.js') + ':app'],
    port: 8002,
    urls: [`http://${host}:8002/  (appserver B)`, `http://${host}:9102/metrics  (appserver B metrics)`],
  },
  {
    name: 'proxy',
    bin: dist('proxy/dist/cli.js'),
    args: ['--config', dist('proxy/proxy.example.yaml')],
    port: 8080,
    urls: [`http://${host}:8080/  (edge proxy: start here)`, `http://${host}:9100/metrics  (proxy metrics)`, `http://${host}:9100/upstreams  (proxy upstream state)`],
  },
];

for (const p of programs) {
  if (!existsSync(p.bin)) {
    console.error(`start: ${p.bin} is missing; run "npm run build" first`);
    process.exit(1);
  }
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

async function waitForPort(port, child, name) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`);
    if (await portOpen(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} did not listen on ${port} within 30s`);
}

const children = [];
let stopping = false;

function stopAll(signal = 'SIGTERM') {
  if (stopping) return;
  stopping = true;
  console.log(`\nstart: stopping (${signal} to ${children.length} processes)`);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  const hard = setTimeout(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }, 35_000);
  hard.unref();
}

process.on('SIGINT', () => stopAll('SIGTERM'));
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
process.on('SIGTERM', () => stopAll('SIGTERM'));

for (const p of programs) {
  if (await portOpen(p.port)) {
    console.error(`start: port ${p.port} is already in use (needed by ${p.name}); stop what holds it and retry`);
    stopAll();
    process.exitCode = 2;
    break;
  }
  // Own process group: Ctrl-C reaches only this script, which then drains each tier with SIGTERM
  // (a terminal's SIGINT to the whole group would make every master stop fast instead).
  const child = spawn(process.execPath, [p.bin, ...p.args], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  children.push(child);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`start: ${p.name} exited unexpectedly (${code ?? signal}); stopping the stack`);
      process.exitCode = 1;
      stopAll();
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(process.exitCode ?? 0);
  });
  try {
    await waitForPort(p.port, child, p.name);
  } catch (err) {
    console.error(`start: ${err.message}`);
    process.exitCode = 1;
    stopAll();
    break;
  }
}

if (!stopping) {
  console.log('\nTSGI local stack is up:');
  for (const p of programs) for (const u of p.urls) console.log(`  ${u}`);
  console.log('Press Ctrl-C to stop.\n');
}
