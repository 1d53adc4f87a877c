import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { test } from 'node:test';
import { appserverMissing, basicConfig, get, getStatus, raw, root, sampleTotal, startProxy, startUpstream, until, upstreamStats, type Proc } from './helpers.ts';

/** A user's own app, from an empty folder: POST reads the whole body and answers its length; anything else `ok`. */
const APP = `export async function app(environ, start) {
  if (environ.REQUEST_METHOD === 'POST') {
    let total = 0;
    for await (const c of environ['tsgi.input']) total += c.length;
    start('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', String(String(total).length)]]);
    return [new TextEncoder().encode(String(total))];
  }
  start('200 OK', [['Content-Type', 'text/plain'], ['Content-Length', '2']]);
  return [new TextEncoder().encode('ok')];
}
`;

/** tsgi-appserver (one worker) under `ulimit -n fdLimit`, serving APP from a temp dir. */
async function startLimitedAppserver(fdLimit: number): Promise<Proc & { port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-shield-app-'));
  writeFileSync(join(dir, 'app.mjs'), APP);
  const cmd = `ulimit -n ${fdLimit} && exec "${process.execPath}" --conditions=@tsgi/source --import tsx appserver/src/cli.ts --bind 127.0.0.1:0 --workers 1 --log-level warning "${join(dir, 'app.mjs')}:app"`;
  const child = spawn('bash', ['-c', cmd], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await until(() => /Ready: \d+ worker/.test(out) || child.exitCode !== null, 60_000, 'the appserver to be ready');
  const m = /Listening at: http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
  if (m === null) throw new Error(`appserver did not start: ${out.slice(-1000)}`);
  return {
    child,
    port: Number(m[1]),
    dir,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** Open file descriptors of `pid`'s children (the appserver's workers), -1 when none can be read. */
function workerFds(pid: number): number {
  let most = -1;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'latin1').split(' ').filter(Boolean)) {
      try {
        most = Math.max(most, readdirSync(`/proc/${child}/fd`).length);
      } catch {
        // The worker exited between the two reads.
      }
    }
  }
  return most;
}

/** A slow POST: a large declared body, then one byte every `everyMs`. Closed by `stop`. */
function slowPost(port: number, declared: number, everyMs: number): { sock: Socket; answer: () => string; stop: () => void } {
  const sock = connect({ port, host: '127.0.0.1' });
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  sock.on('error', () => undefined);
  sock.on('close', () => clearInterval(timer));
  sock.once('connect', () => {
    sock.write(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\nx`);
    timer = setInterval(() => sock.write('x'), everyMs);
  });
  return {
    sock,
    answer: () => answer,
    stop: () => {
      clearInterval(timer);
      sock.destroy();
    },
  };
}

/** The bodies of Content-Length framed responses one after another on a connection. */
function responseBodies(text: string): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const length = Number(/content-length: (\d+)/i.exec(text.slice(at, end))?.[1] ?? 0);
    out.push(text.slice(end + 4, end + 4 + length));
    at = end + 4 + length;
  }
  return out;
}

const missing = appserverMissing();
/** Slow POSTs in the flood: more than the appserver's fd limit (256) could hold, few enough for a 2-core test run. */
const FLOOD = 300;
/** The appserver worker's fds stay under this: default `bodyStreams.max` (32) streamed bodies, the GETs' pool and Node's own (~30). */
const FD_BOUND = 128;

test(`a slow-POST flood (${FLOOD} × 50 MB bodies at 1 byte / 2 s) through the proxy leaves the appserver's fds under ${FD_BOUND} and ≥ 95% of GETs succeed`, { skip: missing ?? false, timeout: 120_000 }, async () => {
  const app = await startLimitedAppserver(256);
  // debug: true: the 503's internal code is checked below (clients see only `503 Service Unavailable`).
  const proxy = await startProxy(basicConfig([app.port], 'debug: true'));
  const flood: ReturnType<typeof slowPost>[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  try {
    assert.equal((await get(proxy.port, '/')).status, 200);
    for (let i = 0; i < FLOOD; i++) flood.push(slowPost(proxy.port, 50_000_000, 2000));
    let mostFds = 0;
    const sampler = setInterval(() => (mostFds = Math.max(mostFds, workerFds(app.child.pid as number))), 200);
    // Let the flood arrive before the GETs start.
    await until(() => flood.every((f) => f.sock.readyState === 'open' || f.sock.destroyed), 20_000, 'the flood to connect');
    await delay(1000);
    let sent = 0;
    let ok = 0;
    const deadline = Date.now() + 8000;
    const loop = async (): Promise<void> => {
      while (sent < 400 && Date.now() < deadline) {
        sent++;
        if ((await getStatus(proxy.port, '/', agent)) === 200) ok++;
        await delay(20);
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    clearInterval(sampler);
    mostFds = Math.max(mostFds, workerFds(app.child.pid as number));
    assert.ok(sent >= 40, `only ${sent} GETs were sent`);
    assert.ok(ok / sent >= 0.95, `${ok} of ${sent} GETs succeeded during the flood`);
    assert.ok(mostFds > 0 && mostFds < FD_BOUND, `appserver worker reached ${mostFds} fds (bound ${FD_BOUND})`);
    // Over the streaming slots and their queue, a large body is told at once (503), not held.
    assert.ok(flood.some((f) => f.answer().startsWith('HTTP/1.1 503')), 'no slow POST was refused with 503');
  } finally {
    for (const f of flood) f.stop();
    agent.destroy();
    await proxy.kill();
    await app.kill();
  }
});

test('a small body is read whole at the edge: a late framing error is a 400 with nothing forwarded, and a complete one reaches the upstream', { timeout: 30_000 }, async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port]));
  const sock = connect({ port: proxy.port, host: '127.0.0.1' });
  sock.on('error', () => undefined);
  try {
    let answer = '';
    sock.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write('POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    await delay(300);
    assert.equal((await upstreamStats(up.port)).requests, 0, 'the upstream saw the request before its body was complete');
    sock.write('zz\r\nbad\r\n');
    await closed;
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.equal((await upstreamStats(up.port)).requests, 0, 'a request with a broken body reached the upstream');
    const good = await raw(proxy.port, 'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello');
    assert.match(good, /^HTTP\/1\.1 200 /);
    assert.equal((await upstreamStats(up.port)).requests, 1);
    // A held chunked body goes upstream with its Content-Length (as nginx sends it); the request pipelined behind it is served next.
    const two = await raw(proxy.port, 'POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const bodies = responseBodies(two).map((b) => JSON.parse(b) as { url: string; bytes: number; headers: Record<string, string> });
    assert.equal(bodies.length, 2, two);
    assert.equal(bodies[0]?.bytes, 11);
    assert.equal(bodies[0]?.headers['content-length'], '11');
    assert.equal(bodies[0]?.headers['transfer-encoding'], undefined);
    assert.equal(bodies[1]?.url, '/second');
  } finally {
    sock.destroy();
    await proxy.kill();
    await up.kill();
  }
});

test('a body that stalls past timeouts.clientBody gets 408 PX_ERR_BODY_TIMEOUT, held or streamed', { timeout: 30_000 }, async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port], 'timeouts: { clientBody: 500ms }\nrequestBody: { bufferSize: 1k }'));
  try {
    for (const declared of [100, 100_000]) {
      const answer = await raw(proxy.port, `POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: ${declared}\r\n\r\nabc`, 10_000);
      assert.match(answer, /^HTTP\/1\.1 408 /, `declared ${declared}`);
      assert.match(answer, /x-proxy-error: PX_ERR_BODY_TIMEOUT/);
    }
    // The held one never reached the upstream; the streamed one's upstream connection was closed.
    assert.equal((await upstreamStats(up.port)).requests, 1);
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.admin}/metrics`)).text();
    assert.equal(sampleTotal('tsgi_proxy_request_body_streams', metrics), 0);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});

test('streamed bodies per upstream group are capped: over bodyStreams.max and its queue a large body gets 503 while GETs flow', { timeout: 30_000 }, async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port], 'requestBody: { bufferSize: 1k }\ndebug: true', 'bodyStreams: { max: 2, queue: 1 }'));
  const slow: ReturnType<typeof slowPost>[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      slow.push(slowPost(proxy.port, 1_000_000, 200));
      await delay(200);
    }
    const fourth = await raw(proxy.port, 'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nabc');
    // 503s carry no x-proxy-error outside `debug: true`; the code is in the access log.
    assert.match(fourth, /^HTTP\/1\.1 503 /);
    assert.equal((await get(proxy.port, '/')).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.admin}/metrics`)).text();
    assert.equal(sampleTotal('tsgi_proxy_request_body_streams', metrics), 2);
    // The queued one gets its slot once a streaming one goes away.
    slow[0]?.stop();
    await until(async () => (await upstreamStats(up.port)).requests >= 4, 10_000, 'the queued body to stream');
  } finally {
    for (const s of slow) s.stop();
    await proxy.kill();
    await up.kill();
  }
});

test('bytes held at the edge stay under requestBody.maxBuffered with many concurrent uploads; over it bodies stream or get 503, and all is given back', { timeout: 30_000 }, async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port], 'requestBody: { bufferSize: 64k, maxBuffered: 128k }', 'bodyStreams: { max: 2, queue: 0 }'));
  const socks: Socket[] = [];
  const answers: string[] = [];
  const heldBytes = async (): Promise<number> => sampleTotal('tsgi_proxy_request_body_held_bytes', await (await fetch(`http://127.0.0.1:${proxy.admin}/metrics`)).text());
  try {
    let most = 0;
    for (let i = 0; i < 12; i++) {
      const sock = connect({ port: proxy.port, host: '127.0.0.1' });
      const n = answers.push('') - 1;
      sock.on('data', (d: Buffer) => (answers[n] += d.toString('latin1')));
      sock.on('error', () => undefined);
      sock.write(`POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n${'a'.repeat(40_000)}`);
      socks.push(sock);
      await delay(50);
      most = Math.max(most, await heldBytes());
    }
    await until(() => answers.filter((a) => a.startsWith('HTTP/1.1 503')).length > 0, 10_000, 'a 503 over the budget');
    most = Math.max(most, await heldBytes());
    assert.ok(most > 0 && most <= 128 * 1024, `held ${most} bytes (cap 131072)`);
    assert.equal((await get(proxy.port, '/')).status, 200);
    for (const s of socks) s.destroy();
    await until(async () => (await heldBytes()) === 0, 10_000, 'held bytes to be given back');
  } finally {
    for (const s of socks) s.destroy();
    await proxy.kill();
    await up.kill();
  }
});
