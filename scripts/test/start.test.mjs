// `npm start` as a person or a process manager drives it: the real start
// script with the real tiers (two appservers and the proxy), on free ports so
// it never clashes with a running stack or other tests. Every process of a run
// carries a marker in its environment, so "no tier left" is checked on the
// whole tree (masters, workers, the log formatter), orphans included.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePorts, pidsWithEnv } from '@tsgi/test-support';

const root = fileURLToPath(new URL('../..', import.meta.url));
const START = join(root, 'scripts', 'start.mjs');
// eslint-disable-next-line no-control-regex -- matches ANSI colour codes, which start with ESC
const ANSI = /\x1b\[[0-9;]*m/g;

/** @param {Record<string, string>} [extra] */
async function stackEnv(extra = {}) {
  const p = await freePorts(6);
  const marker = randomUUID();
  /** @type {NodeJS.ProcessEnv} */
  const env = {
    ...process.env,
    TSGI_START_TEST_MARKER: marker,
    TSGI_START_BUILD: '0',
    TSGI_START_WORKERS: '1',
    TSGI_START_PROXY_PORT: String(p[0]),
    TSGI_START_ADMIN_PORT: String(p[1]),
    TSGI_START_APP_PORTS: `${p[2]},${p[3]}`,
    TSGI_START_METRICS_PORTS: `${p[4]},${p[5]}`,
    ...extra,
  };
  delete env.LOG_FORMAT;
  return { env, marker, proxyUrl: `http://127.0.0.1:${p[0]}/` };
}

/** Pids of live processes whose environment holds the marker (zombies excluded). */
/** @param {string} marker */
function markedPids(marker) {
  return pidsWithEnv('TSGI_START_TEST_MARKER', marker);
}

/**
 * @template T
 * @param {string} what
 * @param {number} ms
 * @param {() => T} check
 * @returns {Promise<T>}
 */
async function waitUntil(what, ms, check) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the start script (optionally under a pseudo-terminal via util-linux `script`), collecting its output. */
/**
 * @typedef {{ code: number | null, signal: NodeJS.Signals | null }} Exit
 * @typedef {{ child: import('node:child_process').ChildProcessByStdio<import('node:stream').Writable | null, import('node:stream').Readable, import('node:stream').Readable>, stdout: string, stderr: string, exit: Exit | null, exited: Promise<Exit> }} StartRun
 */

/**
 * @param {NodeJS.ProcessEnv} env
 * @param {{ tty?: boolean }} [options]
 * @returns {StartRun}
 */
function runStart(env, { tty = false } = {}) {
  const child = tty
    ? spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(START)}`, '/dev/null'], { cwd: root, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(process.execPath, [START], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {StartRun} */
  const run = { child, stdout: '', stderr: '', exit: null, exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve((run.exit = { code, signal })))) };
  child.stdout.setEncoding('utf8').on('data', (/** @type {string} */ d) => (run.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (/** @type {string} */ d) => (run.stderr += d));
  return run;
}

/** The start script's own pid (under `script` it is the pty's child). */
/** @param {StartRun} run @param {string} marker */
function startPid(run, marker) {
  for (const pid of markedPids(marker)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.includes(START)) return pid;
    } catch {
      // gone
    }
  }
  const pid = run.child.pid;
  if (pid === undefined) throw new Error('the start script did not spawn');
  return pid;
}

const upRecord = (/** @type {string} */ stdout) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => /** @type {{ tier?: string, msg?: string, [key: string]: unknown }} */ (JSON.parse(l)))
    .find((r) => r.tier === 'start' && r.msg === 'TSGI local stack is up');

/** @param {string} marker */
async function assertNothingLeft(marker, ms = 20_000) {
  await waitUntil('every process of the run to exit', ms, () => markedPids(marker).length === 0);
}

describe('npm start (scripts/start.mjs)', { timeout: 240_000 }, () => {
  it('prints JSON when stdout is not a terminal, serves through the proxy, and TERM drains every tier and exits 0', { timeout: 90_000 }, async (t) => {
    const { env, marker, proxyUrl } = await stackEnv();
    const run = runStart(env);
    try {
      const up = await waitUntil('the "stack is up" record', 60_000, () => run.exit === null && upRecord(run.stdout));
      assert.ok(up);
      assert.deepEqual(Object.keys(/** @type {object} */ (up.pids)).sort(), ['app-a', 'app-b', 'proxy']);
      const res = await fetch(proxyUrl, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const tree = markedPids(marker);
      assert.ok(tree.length >= 6, `start, 3 masters and their workers are running (${tree.length} processes)`);
      run.child.kill('SIGTERM');
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r(null), 40_000))]);
      assert.deepEqual(exit, { code: 0, signal: null }, `exit after TERM; stderr: ${run.stderr.slice(-2000)}`);
      await assertNothingLeft(marker, 5_000);
      // Not a terminal: every line any program printed is a JSON record.
      const lines = `${run.stdout}\n${run.stderr}`.split('\n').filter((l) => l.trim() !== '');
      const plain = lines.filter((l) => !l.startsWith('{'));
      assert.ok(lines.length > 10, `${lines.length} lines`);
      t.diagnostic(`${lines.length} lines, ${plain.length} plain`);
      for (const l of lines.filter((x) => x.startsWith('{'))) JSON.parse(l);
      assert.ok(lines.some((l) => l.includes('"msg":"access"')), 'the proxy logged the GET');
    } finally {
      for (const pid of markedPids(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('stops during start-up: TERM after the first tier booted leaves no process and exits 0', { timeout: 60_000 }, async () => {
    const { env, marker } = await stackEnv();
    const run = runStart(env);
    try {
      await waitUntil('app-a to boot a worker', 40_000, () => run.exit === null && /Booting worker/.test(run.stderr));
      run.child.kill('SIGTERM');
      const termAt = Date.now();
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r(null), 40_000))]);
      assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${run.stderr.slice(-2000)}`);
      // A worker still booting is stopped, not waited for until the 30 s graceful timeout kills it.
      assert.ok(Date.now() - termAt < 15_000, `stopped ${Date.now() - termAt} ms after TERM`);
      await assertNothingLeft(marker, 5_000);
      assert.equal(upRecord(run.stdout), undefined, 'the stack never reported up');
      assert.doesNotMatch(run.stdout, /tsgi-proxy listening/, 'no tier was started after the stop began');
    } finally {
      for (const pid of markedPids(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('stops during the build: TERM while tsc runs exits 0 with no tsc left', { timeout: 60_000 }, async () => {
    const { env, marker } = await stackEnv({ TSGI_START_BUILD: '1' });
    const run = runStart(env);
    try {
      await waitUntil('the build to start', 20_000, () => run.exit === null && /building/.test(run.stdout) && markedPids(marker).length >= 2);
      run.child.kill('SIGTERM');
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r(null), 30_000))]);
      assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${run.stderr.slice(-2000)}`);
      await assertNothingLeft(marker, 5_000);
      assert.equal(upRecord(run.stdout), undefined);
    } finally {
      for (const pid of markedPids(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('SIGKILL of the start script: the tiers notice their IPC channel close and drain themselves', { timeout: 90_000 }, async (t) => {
    const { env, marker } = await stackEnv();
    const run = runStart(env);
    try {
      await waitUntil('the "stack is up" record', 60_000, () => run.exit === null && upRecord(run.stdout));
      const before = markedPids(marker).length;
      run.child.kill('SIGKILL');
      await run.exited;
      const killedAt = Date.now();
      // Well inside the 30 s graceful timeouts: they drained because they noticed, not because something timed out.
      await assertNothingLeft(marker, 20_000);
      t.diagnostic(`${before} processes; all gone ${Date.now() - killedAt} ms after the SIGKILL`);
      assert.match(run.stderr, /Handling signal: term/, 'the appserver masters drained as on SIGTERM');
      assert.match(run.stdout, /SIGTERM: draining/, 'the proxy drained as on SIGTERM');
    } finally {
      for (const pid of markedPids(marker)) process.kill(pid, 'SIGKILL');
    }
  });

  it('TERM to `npm start` (as a process manager sends it) stops every tier, though npm does not pass it on', { timeout: 90_000 }, async () => {
    const { env, marker } = await stackEnv();
    const npm = spawn('npm', ['start', '--silent'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    npm.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    npm.stderr.resume();
    try {
      await waitUntil('the "stack is up" record', 60_000, () => upRecord(stdout));
      npm.kill('SIGTERM');
      // npm leaves, its shell with it; the start script sees itself orphaned and drains the stack.
      await assertNothingLeft(marker, 30_000);
    } finally {
      for (const pid of markedPids(marker)) process.kill(pid, 'SIGKILL');
      npm.kill('SIGKILL');
    }
  });

  it('prints one human line per event in a terminal (pseudo-TTY), and INT stops everything', { timeout: 90_000 }, async (t) => {
    const { env, marker, proxyUrl } = await stackEnv({ TERM: 'xterm-256color', FORCE_COLOR: '1' });
    delete env.NO_COLOR;
    const run = runStart(env, { tty: true });
    try {
      await waitUntil('"Ctrl-C stops it"', 60_000, () => run.exit === null && /Ctrl-C stops it/.test(run.stdout));
      const res = await fetch(proxyUrl, { signal: AbortSignal.timeout(10_000) });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      await waitUntil('the access line', 10_000, () => /proxy\s+GET \/ 200 /.test(run.stdout.replace(ANSI, '')));
      const pid = startPid(run, marker);
      process.kill(pid, 'SIGINT');
      const exit = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r(null), 40_000))]);
      assert.deepEqual(exit, { code: 0, signal: null }, 'script(1) passes on the start script\'s exit code');
      await assertNothingLeft(marker, 5_000);
      // eslint-disable-next-line no-control-regex -- matches ANSI colour codes, which start with ESC
      assert.match(run.stdout, /\x1b\[\d+m/, 'coloured');
      // (On an end-of-life Node, scripts/require-node.mjs says so in one line before anything starts.)
      const lines = run.stdout.replace(ANSI, '').split(/\r?\n/).filter((l) => l.trim() !== '' && !l.startsWith('tsgi: warning: Node'));
      const human = /^\d\d:\d\d:\d\d\.\d{3} (start|app-a|app-b|proxy)\s/;
      assert.deepEqual(lines.filter((l) => !human.test(l)), [], 'every line is "time tier ..."');
      assert.ok(!lines.some((l) => l.includes('{"level"')), 'no raw JSON record');
      const access = lines.find((l) => /proxy\s+GET \/ 200 /.test(l));
      assert.ok(access !== undefined && access.length < 100, `the access line is short: ${access}`);
      for (const tier of ['app-a', 'app-b', 'proxy']) assert.ok(lines.some((l) => l.includes(` ${tier} `)), `${tier} has lines`);
      t.diagnostic(`${lines.length} lines, e.g. ${JSON.stringify(access)}`);
    } finally {
      for (const pid of markedPids(marker)) process.kill(pid, 'SIGKILL');
    }
  });
});
