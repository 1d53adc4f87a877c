import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { io as ioClient, type Socket } from 'socket.io-client';
import { FIXTURES, runCli, startAppserver, until } from './helpers.js';

const PROXY_CLI = fileURLToPath(new URL('../../proxy/src/process/cli.ts', import.meta.url));
const SOCKETIO = join(FIXTURES, 'socketio-app.mjs') + ':app';
// A constant, not inline: scripts/check-dependencies.mjs would read `from', '` as an import.
const FROM_FLAG = '--proxy-protocol-from';

interface Whoami {
  n: number;
  pid: number;
  transport: string;
  address: string;
}

/** tsgi-proxy (one process) in front of `upstreamPort`, sending a PROXY v1 header on each upstream connection. */
async function startProxy(upstreamPort: number): Promise<{ port: number; stop(): Promise<void>; output(): string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-sticky-proxy-'));
  const config = join(dir, 'proxy.yaml');
  writeFileSync(
    config,
    `listeners: [{ address: "127.0.0.1:0" }]
admin: { address: null }
accessLog: false
upstreams:
  app:
    servers: ["127.0.0.1:${upstreamPort}"]
    proxyProtocol: v1
routes: [{ upstream: app }]
`,
  );
  const proc = spawn(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', PROXY_CLI, '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  await until(() => /tsgi-proxy listening/.test(out) || proc.exitCode !== null, 30_000, 'tsgi-proxy listening');
  const line = out.split('\n').find((l) => l.includes('tsgi-proxy listening'));
  assert.ok(line, out);
  const port = Number((JSON.parse(line) as { listeners: string[] }).listeners[0]!.split(':').pop());
  return {
    port,
    output: () => out,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

test('socket.io behind tsgi-proxy with tsgi-appserver --sticky -w 2 --proxy-protocol-from: 20 polling sessions from 20 client addresses, no "Session ID unknown", both workers used, the app sees each client address', { timeout: 120_000 }, async (t) => {
  const app = await startAppserver(['-w', '2', '--sticky', FROM_FLAG, '127.0.0.1', SOCKETIO]);
  t.after(() => app.stop());
  const upstreamPort = Number(new URL(app.url).port);
  const proxy = await startProxy(upstreamPort);
  t.after(() => proxy.stop());

  const clients: Socket[] = [];
  t.after(() => {
    for (const c of clients) c.close();
  });
  const errors: string[] = [];
  const ask = (c: Socket, n: number): Promise<Whoami> =>
    new Promise((resolve, reject) => c.timeout(10_000).emit('whoami', n, (err: Error | null, a: Whoami) => (err ? reject(err) : resolve(a))));
  const sessions = await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const address = `127.0.0.${10 + i}`;
      // Long-polling only (no upgrade): every message is a new HTTP request, each may reach the proxy on a new connection.
      const c = ioClient(`http://127.0.0.1:${proxy.port}`, { transports: ['polling'], reconnection: false, timeout: 10_000, agent: new Agent({ localAddress: address, keepAlive: false }) } as never);
      clients.push(c);
      c.on('connect_error', (err: Error) => errors.push(err.message));
      c.io.engine?.on('error', (err: unknown) => errors.push(String(err)));
      await new Promise<void>((resolve, reject) => {
        c.once('connect', () => resolve());
        c.once('connect_error', reject);
      });
      const answers: Whoami[] = [];
      for (let k = 0; k < 3; k++) answers.push(await ask(c, k));
      return { address, answers };
    }),
  );
  assert.deepEqual(errors, []);
  assert.doesNotMatch(proxy.output() + app.stderr(), /Session ID unknown/);
  const pids = new Set<number>();
  for (const { address, answers } of sessions) {
    assert.equal(new Set(answers.map((a) => a.pid)).size, 1, `${address}: one worker for the whole session`);
    for (const a of answers) {
      assert.equal(a.transport, 'polling');
      assert.equal(a.address, address, 'the worker sees the client address from the PROXY header, not the proxy');
    }
    pids.add(answers[0]!.pid);
  }
  assert.equal(pids.size, 2, 'sessions spread over both workers');
});

test('socket.io app with -w 2 and no --sticky: the master warns at startup', async (t) => {
  const app = await startAppserver(['-w', '2', SOCKETIO]);
  t.after(() => app.stop());
  assert.match(app.stderr(), /loads engine\.io \(socket\.io\) and runs 2 workers without --sticky: polling sessions will fail with \\"Session ID unknown\\"/);
});

test('--proxy-protocol-from without --sticky is a config error (exit 2, one line)', async () => {
  const r = runCli(['--check-config', FROM_FLAG, '127.0.0.1', SOCKETIO]);
  assert.equal((await r.exited).code, 2);
  assert.match(r.stderr(), /^config: proxy-protocol-from needs --sticky/);
});

/** One raw exchange: `bytes` written at once, everything read until the server closes (or 5 s). */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const c = connect(port, '127.0.0.1', () => c.write(bytes));
    c.setTimeout(5000, () => c.destroy());
    c.on('data', (d: Buffer) => (got += d.toString('latin1')));
    c.on('close', () => resolve(got));
    c.on('error', () => {});
  });
}

test('--proxy-protocol-from: header and request in one write reach the worker whole; a trusted peer without a valid header is closed; others connect as they are', async (t) => {
  const app = await startAppserver(['-w', '2', '--sticky', FROM_FLAG, '127.0.0.1', join(FIXTURES, 'pid-app.mjs') + ':app']);
  t.after(() => app.stop());
  const port = Number(new URL(app.url).port);
  const request = 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
  for (let round = 0; round < 3; round++) {
    const replies = await Promise.all(
      Array.from({ length: 8 }, (_, i) => exchange(port, `PROXY TCP4 198.51.100.${i + 1} 127.0.0.1 4000 ${port}\r\n${request}`)),
    );
    for (const r of replies) assert.match(r, /^HTTP\/1\.1 200 OK\r\n/, `round ${round}: ${JSON.stringify(r.slice(0, 60))}`);
  }
  assert.equal(await exchange(port, request), '', 'from a trusted peer the header is required: closed unanswered');
  assert.equal(await exchange(port, `PROXY TCP4 999.1.1.1 127.0.0.1 1 2\r\n${request}`), '');
  assert.match(await exchange(port, `PROXY TCP4 198.51.100.9 127.0.0.1 4000 ${port}\r\n${request}`), /^HTTP\/1\.1 200 OK/, 'still serving');
});
