import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StackDump } from '@tsgi/arbiter';
import { request } from 'undici';
import { FIXTURES, getFresh, runCli, startAppserver, tempDir, until } from './helpers.js';

const APP = join(FIXTURES, 'pid-app.mjs') + ':app';

interface Status {
  pid: number;
  workerTarget: number;
  workers: Array<{ pid: number; generation: number; state: string; ageMs: number; requests: number; inFlight: number; rss: number; heapUsed: number }>;
}

async function ctl(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = runCli(['ctl', ...args]);
  const { code } = await r.exited;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** A command straight over the socket (the protocol ctl speaks: one JSON line each way), for polling without a process per poll. */
function ask<T>(socket: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({ path: socket }, () => conn.end(`${JSON.stringify({ args })}\n`));
    let text = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => (text += chunk));
    conn.on('error', reject);
    conn.on('close', () => {
      const reply = JSON.parse(text) as { ok: boolean; result: T };
      if (reply.ok) resolve(reply.result);
      else reject(new Error(text));
    });
  });
}

const status = (socket: string): Promise<Status> => ask<Status>(socket, ['status']);

test('--control-socket: mode 0600; ctl status, workers N|+1|-1, reload, dump PID over the real socket; removed on exit', { timeout: 120_000 }, async (t) => {
  const socket = join(tempDir(), 'ctl.sock');
  const s = await startAppserver(['-w', '2', '--control-socket', socket, APP]);
  t.after(() => s.stop());
  const stat = statSync(socket);
  assert.ok(stat.isSocket());
  assert.equal(stat.mode & 0o777, 0o600, 'only the master\'s user may use it');

  for (let i = 0; i < 6; i++) assert.equal((await getFresh(s.url)).status, 200);
  await until(async () => (await status(socket)).workers.reduce((n, w) => n + w.requests, 0) >= 6, 10_000, 'requests counted in status');
  let st = await status(socket);
  assert.equal(st.pid, s.pid);
  assert.equal(st.workers.length, 2);
  for (const w of st.workers) {
    assert.equal(w.state, 'ready');
    assert.equal(w.generation, 1);
    assert.ok(w.rss > 10 * 1024 * 1024 && w.heapUsed > 0, `memory reported: ${JSON.stringify(w)}`);
    assert.ok(w.ageMs > 0);
  }
  const viaCli = JSON.parse((await ctl('--socket', socket, 'status', '--json')).stdout) as Status;
  assert.deepEqual(viaCli.workers.map((w) => w.pid), st.workers.map((w) => w.pid));
  const table = await ctl('--socket', socket, 'status');
  assert.equal(table.code, 0);
  assert.match(table.stdout, /^PID +GEN +STATE +AGE +REQUESTS +IN-FLIGHT +RSS +HEAP$/m);
  assert.match(table.stdout, new RegExp(`^${st.workers[0]!.pid} +1 +ready +`, 'm'));

  const readyCount = async (): Promise<number> => (await status(socket)).workers.filter((w) => w.state === 'ready').length;
  assert.equal((await ctl('--socket', socket, 'workers', '3')).code, 0);
  await until(async () => (await readyCount()) === 3, 20_000, 'three workers');
  assert.equal((await ctl('--socket', socket, 'workers', '-1')).code, 0);
  await until(async () => (await status(socket)).workers.length === 2, 20_000, 'back to two workers');
  assert.equal((await ctl('--socket', socket, 'workers', '+1')).code, 0);
  await until(async () => (await readyCount()) === 3, 20_000, 'three workers again');

  // As HUP (and gunicorn's): the reload takes the worker count from the config again (-w 2).
  assert.equal((await ctl('--socket', socket, 'reload')).code, 0);
  await until(async () => {
    const now = await status(socket);
    return now.workers.length === 2 && now.workers.every((w) => w.generation === 2 && w.state === 'ready');
  }, 30_000, 'a new generation after reload');

  // One worker blocks its loop in the app for 8 s: its dump shows the app's frame, the other is idle.
  st = await status(socket);
  const blocked = request(`${s.url}block?ms=8000`, { headersTimeout: 30_000 }).then((r) => r.body.text());
  await new Promise((r) => setTimeout(r, 300));
  const dumps = await Promise.all(st.workers.map((w) => ask<StackDump>(socket, ['dump', String(w.pid)])));
  const busy = dumps.filter((d) => !d.idle);
  assert.equal(busy.length, 1, JSON.stringify(dumps));
  assert.equal(busy[0]!.request, 'GET /block?ms=8000');
  assert.match(busy[0]!.stack ?? '', /^ {4}at app \(.*pid-app\.mjs:\d+:\d+\)$/m);
  assert.equal(dumps.filter((d) => d.idle && d.stack === null).length, 1);
  const text = await ctl('--socket', socket, 'dump', String(busy[0]!.pid));
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`^worker ${busy[0]!.pid}: event loop busy for \\d+ ms; last request started: GET /block\\?ms=8000; 1 in flight\n {4}at app \\(`));
  await blocked;
  const unknown = await ctl('--socket', socket, 'dump', '1');
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^tsgi-appserver ctl: no worker with pid 1\n$/);

  s.proc.kill('SIGTERM');
  assert.equal((await s.exited).code, 0);
  assert.equal(existsSync(socket), false, 'the socket file is removed on exit');
  const gone = await ctl('--socket', socket, 'status');
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /cannot reach the control socket .*ctl\.sock: ENOENT/);
});

test('tsgi-appserver ctl: a bad command line is one line and exit 2, before any connection', async () => {
  const socket = join(tempDir(), 'none.sock');
  for (const [args, pattern] of [
    [['--socket', socket, 'frobnicate'], /unknown command "frobnicate"/],
    [['--socket', socket, 'workers', '0'], /workers needs N \(1 to 1024\), \+1 or -1, got "0"/],
    [['--socket', socket, 'workers', '-2'], /workers needs N/],
    [['--socket', socket, 'dump'], /dump needs a worker pid, got nothing/],
    [['--socket', socket, 'status', 'extra'], /status takes no argument/],
    [['--socket', socket], /no command given/],
    [['status'], /--socket PATH is required/],
    [['--sokcet', socket, 'status'], /unknown flag --sokcet/],
  ] as const) {
    const r = await ctl(...args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
