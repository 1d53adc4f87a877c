#!/usr/bin/env node
// `npm start`: builds, then runs the local stack as plain processes (no Docker):
// the TS edge proxy on :8080 in front of two appserver instances running the
// sample app, each with its own metrics port.
//
// Output: in a terminal, one human line per event with the tier's name in
// colour (the console of @tsgi/arbiter, as both CLIs print in a terminal); otherwise, or with LOG_FORMAT=json,
// the tiers' own JSON lines untouched. LOG_FORMAT=pretty forces the human form.
//
// Stopping: TERM, INT or HUP at any moment (during the build and start-up
// too) drains every tier with SIGTERM and exits 0 once all are gone; a second
// signal stops them at once. If this script's parent goes away (npm killed)
// it stops the same way; if this script is killed outright, each tier sees its
// IPC channel close and drains itself.
//
// Env: TSGI_START_WORKERS (2), TSGI_START_PROXY_PORT (8080), TSGI_START_ADMIN_PORT
// (9100), TSGI_START_APP_PORTS (8001,8002), TSGI_START_METRICS_PORTS (9101,9102),
// TSGI_START_BUILD=0 to skip the build.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import './require-node.mjs';
import { loadConsole } from './start/load-console.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const { humanLine, jsonLine, painterFor } = await loadConsole(root);
const host = '127.0.0.1';
const env = process.env;
const HARD_STOP_MS = 35_000;

function fail(message, code = 2) {
  process.stderr.write(`start: ${message}\n`);
  process.exit(code);
}

function port(name, fallback) {
  const text = env[name] ?? String(fallback);
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) fail(`${name} must be a port number 1-65535, got "${text}"`);
  return n;
}

function portPair(name, fallback) {
  const parts = (env[name] ?? fallback).split(',');
  if (parts.length !== 2) fail(`${name} must be two comma-separated ports, got "${env[name]}"`);
  return parts.map((p, i) => {
    const n = Number(p.trim());
    if (!/^\d+$/.test(p.trim()) || n < 1 || n > 65535) fail(`${name} must be two comma-separated ports, got "${env[name]}" (item ${i + 1})`);
    return n;
  });
}

const format = env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
if (format !== 'json' && format !== 'pretty') fail(`LOG_FORMAT must be json or pretty, got "${format}"`);
const workers = env.TSGI_START_WORKERS ?? '2';
if (!/^[1-9]\d*$/.test(workers)) fail(`TSGI_START_WORKERS must be a positive integer, got "${workers}"`);
const proxyPort = port('TSGI_START_PROXY_PORT', 8080);
const adminPort = port('TSGI_START_ADMIN_PORT', 9100);
const appPorts = portPair('TSGI_START_APP_PORTS', '8001,8002');
const metricsPorts = portPair('TSGI_START_METRICS_PORTS', '9101,9102');
const build = env.TSGI_START_BUILD !== '0';

// ---- output: the start script's own lines go the same way as the tiers' ----

const paint = painterFor(process.stdout);
let formatter = null;
let ownPipe = null;
function say(level, msg, fields) {
  const line = format === 'json' ? jsonLine(level, msg, fields) : humanLine('start', msg, paint);
  if (ownPipe !== null && !ownPipe.destroyed) ownPipe.write(format === 'json' ? `${line}\n` : `${msg}\n`);
  else (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
}

// ---- the stack ----

const dist = (p) => join(root, p);
const appArgs = (i) => ['--bind', `${host}:${appPorts[i]}`, '--metrics-bind', `${host}:${metricsPorts[i]}`, '--workers', workers, `${dist('sample-app/dist/app.js')}:app`];
const tempDir = mkdtempSync(join(tmpdir(), 'tsgi-start-'));
const proxyConfig = join(tempDir, 'proxy.yaml');
const programs = [
  { name: 'app-a', bin: dist('appserver/dist/cli.js'), args: appArgs(0), port: appPorts[0], urls: [[`http://${host}:${appPorts[0]}/`, 'appserver A'], [`http://${host}:${metricsPorts[0]}/metrics`, 'appserver A metrics']] },
  { name: 'app-b', bin: dist('appserver/dist/cli.js'), args: appArgs(1), port: appPorts[1], urls: [[`http://${host}:${appPorts[1]}/`, 'appserver B'], [`http://${host}:${metricsPorts[1]}/metrics`, 'appserver B metrics']] },
  { name: 'proxy', bin: dist('proxy/dist/cli.js'), args: ['--config', proxyConfig], port: proxyPort, urls: [[`http://${host}:${proxyPort}/`, 'edge proxy: start here'], [`http://${host}:${adminPort}/metrics`, 'proxy metrics'], [`http://${host}:${adminPort}/upstreams`, 'proxy upstream state']] },
];

/** proxy/proxy.example.yaml with this run's addresses. */
function writeProxyConfig() {
  const { parse, stringify } = createRequire(join(root, 'proxy', 'package.json'))('yaml');
  const config = parse(readFileSync(dist('proxy/proxy.example.yaml'), 'utf8'));
  config.listeners[0].address = `${host}:${proxyPort}`;
  config.admin.address = `${host}:${adminPort}`;
  config.upstreams.app.servers = appPorts.map((p) => `${host}:${p}`);
  writeFileSync(proxyConfig, stringify(config));
}

// ---- state and stopping ----

const children = []; // { name, child }
let buildChild = null;
let stopping = false;
let hardTimer = null;
const alive = (c) => c.exitCode === null && c.signalCode === null;

function stop(reason, code) {
  if (code !== undefined && (process.exitCode ?? 0) === 0) process.exitCode = code;
  if (code) say('error', reason);
  if (stopping) {
    // A second signal: stop now instead of draining.
    for (const { child } of children) if (alive(child)) killGroup(child, 'SIGKILL');
    return;
  }
  stopping = true;
  const running = children.filter(({ child }) => alive(child));
  say('info', `stopping (${reason}): SIGTERM to ${running.length} tier(s)${running.length ? `: ${running.map((c) => `${c.name} ${c.child.pid}`).join(', ')}` : ''}`);
  if (buildChild !== null && alive(buildChild)) buildChild.kill('SIGTERM');
  for (const { child } of running) child.kill('SIGTERM');
  hardTimer = setTimeout(() => {
    for (const { name, child } of children) {
      if (!alive(child)) continue;
      say('warn', `${name} did not stop within ${HARD_STOP_MS / 1000} s: SIGKILL`);
      killGroup(child, 'SIGKILL');
    }
  }, HARD_STOP_MS);
  hardTimer.unref();
  maybeExit();
}

/** Each tier leads its own process group (workers included): a hard stop takes the whole group. */
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

let exiting = false;
function maybeExit() {
  if (!stopping || exiting) return;
  if (buildChild !== null && alive(buildChild)) return;
  if (children.some(({ child }) => alive(child))) return;
  exiting = true;
  clearTimeout(hardTimer);
  rmSync(tempDir, { recursive: true, force: true });
  const code = process.exitCode ?? 0;
  if (formatter === null) process.exit(code);
  // Let the formatter print the tiers' last lines before the shell prompt comes back.
  for (const pipe of formatter.stdio.slice(3)) pipe.end();
  const bail = setTimeout(() => process.exit(code), 2_000);
  formatter.once('exit', () => {
    clearTimeout(bail);
    process.exit(code);
  });
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
// Orphaned (npm or the shell between us and the process manager was killed): stop as on TERM.
const parentAtStart = process.ppid;
setInterval(() => {
  if (process.ppid !== parentAtStart) stop('parent process gone');
}, 500).unref();
process.on('exit', () => {
  for (const { child } of children) if (alive(child)) killGroup(child, 'SIGKILL');
  rmSync(tempDir, { recursive: true, force: true });
});

// ---- start-up ----

function portOpen(p) {
  return new Promise((resolve) => {
    const s = connect({ host, port: p }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function waitForPort(p, child, name) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !stopping) {
    if (!alive(child)) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before listening on ${p}`);
    if (await portOpen(p)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!stopping) throw new Error(`${name} did not listen on ${p} within 30 s`);
}

function runBuild() {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  say('info', 'building (tsc -b)');
  return new Promise((resolve) => {
    buildChild = spawn(process.execPath, [tsc, '-b', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    buildChild.on('exit', (code, signal) => {
      resolve(code === 0);
      if (code !== 0 && !stopping) say('error', `build failed (${code ?? signal})`);
      maybeExit();
    });
  });
}

function startFormatter() {
  const names = ['start', ...programs.map((p) => p.name)];
  formatter = spawn(process.execPath, [dist('scripts/start/log-formatter.mjs'), ...names], {
    stdio: ['ignore', 'inherit', 'inherit', ...names.map(() => 'pipe')],
  });
  ownPipe = formatter.stdio[3];
  ownPipe.on('error', () => {});
}

async function main() {
  if (format === 'pretty') startFormatter();
  if (build && !(await runBuild())) return stop('build failed', 1);
  if (stopping) return;
  for (const p of programs) {
    if (!existsSync(p.bin)) return stop(`${p.bin} is missing; run "npm run build" first`, 1);
  }
  writeProxyConfig();
  for (const [i, p] of programs.entries()) {
    if (stopping) return;
    if (await portOpen(p.port)) return stop(`port ${p.port} is already in use (needed by ${p.name}); stop what holds it and retry`, 2);
    if (stopping) return;
    const out = formatter === null ? 'inherit' : formatter.stdio[4 + i];
    // Own process group: a terminal's Ctrl-C reaches only this script, which drains each tier with
    // SIGTERM (SIGINT to a master means stop fast). The IPC channel tells a tier when this script dies.
    // The tiers always write JSON here: this script (or its formatter) is their console.
    const child = spawn(process.execPath, [p.bin, ...p.args], { cwd: root, env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', out, out, 'ipc'], detached: true });
    children.push({ name: p.name, child });
    // The tier holds its own copy: the formatter sees this pipe end when the tier's processes are gone.
    if (formatter !== null) out.destroy();
    child.on('exit', (code, signal) => {
      if (!stopping) {
        say('error', `${p.name} exited unexpectedly (${code ?? signal}); stopping the stack`);
        stop(`${p.name} exited`, 1);
      }
      maybeExit();
    });
    child.on('error', () => {});
    try {
      await waitForPort(p.port, child, p.name);
    } catch (err) {
      return stop(err.message, 1);
    }
  }
  if (stopping) return;
  const urls = programs.flatMap((p) => p.urls);
  const pids = Object.fromEntries(children.map(({ name, child }) => [name, child.pid]));
  if (format === 'json') {
    say('info', 'TSGI local stack is up', { urls: Object.fromEntries(urls.map(([u, what]) => [what, u])), pids });
  } else {
    say('info', 'TSGI local stack is up:');
    for (const [u, what] of urls) say('info', `  ${u.padEnd(34)} ${what}`);
    say('info', 'Ctrl-C stops it.');
  }
}

await main();
