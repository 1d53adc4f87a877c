import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { rawExchange } from '@tsgi/test-support';
import { encodeProxyV1 } from '../src/listener/proxy-protocol.js';
import { makePki, type TestPki } from './edge-certs.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const APPSERVER = join(ROOT, 'appserver/src/cli.ts');
const PROXY = join(ROOT, 'proxy/src/process/cli.ts');
const APP = fileURLToPath(new URL('./fixtures/edge-echo-app.mjs', import.meta.url));

interface Proc {
  proc: ChildProcess;
  out: () => string;
}

function spawnTs(file: string, args: string[]): Proc {
  const proc = spawn(process.execPath, ['--conditions=@tsgi/source', '--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, out: () => out };
}

async function waitFor(p: Proc, re: RegExp, what: string): Promise<RegExpExecArray> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = re.exec(p.out());
    if (m) return m;
    if (p.proc.exitCode !== null) throw new Error(`${what} exited: ${p.out()}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready: ${p.out()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function stop(p: Proc | undefined): Promise<void> {
  if (p === undefined || p.proc.exitCode !== null || p.proc.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    p.proc.once('exit', () => r());
    p.proc.kill('SIGTERM');
    setTimeout(() => p.proc.kill('SIGKILL'), 10_000).unref();
  });
}

function h2Get(session: http2.ClientHttp2Session, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path, ':authority': 'site.test', ...headers });
    let h: http2.IncomingHttpHeaders = {};
    let body = '';
    req.on('response', (x) => (h = x));
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve({ status: Number(h[':status']), headers: h, body }));
    req.on('error', reject);
  });
}

describe('edge end to end: TLS + h2 client → tsgi-proxy → appserver on a unix socket', () => {
  let dir: string;
  let pki: TestPki;
  let app: Proc | undefined;
  let proxy: Proc | undefined;
  let tlsPort = 0;
  let ppPort = 0;
  let adminPort = 0;
  let certPath = '';
  let keyPath = '';
  let second: { cert: string; key: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tsgi-edge-e2e-'));
    pki = makePki();
    const first = pki.issue('site1', ['site.test']);
    second = pki.issue('site2', ['site.test']);
    certPath = join(dir, 'site.pem');
    keyPath = join(dir, 'site.key');
    copyFileSync(first.cert, certPath);
    copyFileSync(first.key, keyPath);
    const sock = join(dir, 'app.sock');
    app = spawnTs(APPSERVER, ['-b', `unix:${sock}`, '--metrics-bind', '127.0.0.1:0', '-w', '1', '--access-logfile', '-', '--access-logformat', 'APPLOG %(r)s %(s)s %({traceparent}i)s %({x-request-id}i)s', `${APP}:app`]);
    await waitFor(app, /Ready: /, 'appserver');
    const config = {
      listeners: [
        { address: '127.0.0.1:0', tls: { certs: [{ cert: certPath, key: keyPath }] } },
        { address: '127.0.0.1:0', proxyProtocol: true },
      ],
      admin: { address: '127.0.0.1:0' },
      upstreams: { app: { servers: [`unix:${sock}`] } },
      limitReq: { tight: { rate: '10r/s', burst: 5, nodelay: true } },
      routes: [
        { path: '/limited', upstream: 'app', limitReq: ['tight'] },
        { path: '/private', upstream: 'app', access: [{ allow: '10.0.0.0/8' }, { deny: 'all' }] },
        { path: '/small', upstream: 'app', maxBodyBytes: 10 },
        { path: '/', upstream: 'app' },
      ],
    };
    const file = join(dir, 'proxy.yaml');
    writeFileSync(file, stringify(config));
    proxy = spawnTs(PROXY, ['--config', file]);
    const m = await waitFor(proxy, /"listeners":\["[^"]*:(\d+)","[^"]*:(\d+)"\],"admin":"[^"]*:(\d+)"/, 'proxy');
    tlsPort = Number(m[1]);
    ppPort = Number(m[2]);
    adminPort = Number(m[3]);
  });

  after(async () => {
    await stop(proxy);
    await stop(app);
    pki.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an h2 client fetches from the appserver over a unix socket; X-Forwarded-Proto is https', async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    try {
      const r = await h2Get(session, '/hello');
      assert.equal(r.status, 200);
      const body = JSON.parse(r.body);
      assert.equal(body.path, '/hello');
      assert.equal(body.proto, 'https');
      assert.equal(body.xff, '127.0.0.1');
    } finally {
      session.close();
    }
  });

  test('a traceparent sent by the client appears in both tiers\' access logs', async () => {
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    try {
      const r = await h2Get(session, '/traced', { traceparent: tp, 'x-request-id': 'req-e2e-1' });
      const body = JSON.parse(r.body);
      assert.match(body.traceparent, /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
      assert.notEqual(body.traceparent, tp, 'the proxy is a hop: fresh span id');
      assert.equal(body.requestId, 'req-e2e-1');
    } finally {
      session.close();
    }
    await waitFor(app!, /APPLOG GET \/traced HTTP\/1.1 200 00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01 req-e2e-1/, 'app access log');
    await waitFor(proxy!, /"trace_id":"0af7651916cd43dd8448eb211c80319c"[^\n]*"request_id":"req-e2e-1"|"request_id":"req-e2e-1"[^\n]*"trace_id":"0af7651916cd43dd8448eb211c80319c"/, 'proxy access log');
  });

  test('100 requests against 10 r/s burst 5 nodelay: the right number of 429s, counted in /metrics', async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    const started = Date.now();
    let ok = 0;
    let limited = 0;
    let retryAfter = '';
    try {
      for (let i = 0; i < 100; i++) {
        const r = await h2Get(session, '/limited');
        if (r.status === 200) ok++;
        else if (r.status === 429) {
          limited++;
          retryAfter = String(r.headers['retry-after']);
        }
      }
    } finally {
      session.close();
    }
    const elapsedS = (Date.now() - started) / 1000;
    assert.equal(ok + limited, 100);
    // 1 + burst pass at once, then the rate refills: at most 10 more per elapsed second.
    assert.ok(ok >= 6 && ok <= 6 + Math.ceil(elapsedS * 10), `${ok} passed in ${elapsedS}s`);
    assert.match(retryAfter, /^[1-9]\d*$/);
    const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
    const m = /tsgi_proxy_rate_limited_total\{[^}]*zone="tight"[^}]*\} (\d+)/.exec(metrics);
    assert.equal(Number(m?.[1]), limited);
    assert.match(metrics, /tsgi_proxy_tls_handshakes_total\{[^}]*\} [1-9]/);
    assert.match(metrics, /tsgi_proxy_h2_streams_total [1-9]/);
  });

  test('a denied CIDR gets 403; a body over the route limit gets 413', async () => {
    const session = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    try {
      const denied = await h2Get(session, '/private');
      assert.equal(denied.status, 403);
      assert.equal(denied.headers['x-proxy-error'], 'PX_ERR_FORBIDDEN');
      const big = await new Promise<number>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/small', ':authority': 'site.test', 'content-length': '100' });
        req.on('response', (h) => resolve(Number(h[':status'])));
        req.on('error', reject);
        req.end('x'.repeat(100));
      });
      assert.equal(big, 413);
      assert.equal((await h2Get(session, '/small')).status, 200);
    } finally {
      session.close();
    }
  });

  test('a PROXY protocol header sets the client address the app sees in X-Forwarded-For, and unlocks its allow rule', async () => {
    const ask = async (path: string): Promise<string> => {
      const header = encodeProxyV1({ family: 4, sourceAddress: '10.20.30.40', sourcePort: 5555, destinationAddress: '127.0.0.1', destinationPort: ppPort });
      const reply = await rawExchange(ppPort, Buffer.concat([header, Buffer.from(`GET ${path} HTTP/1.1\r\nhost: site.test\r\nconnection: close\r\n\r\n`)]));
      assert.ok(reply.closedByServer, `${path}: the proxy closes after connection: close`);
      return reply.raw.toString();
    };
    const out = await ask('/who');
    assert.match(out, /^HTTP\/1.1 200/);
    assert.equal(JSON.parse(out.slice(out.indexOf('\r\n\r\n') + 4)).xff, '10.20.30.40');
    assert.match(await ask('/private'), /^HTTP\/1.1 200/, '10.0.0.0/8 is allowed on /private');
  });

  test('a certificate swapped on disk is served after SIGHUP; the old connection is let finish (GOAWAY), not cut', { timeout: 60_000 }, async () => {
    const old = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    assert.equal((await h2Get(old, '/before')).status, 200);
    const oldSerial = (old.socket as TLSSocket).getPeerCertificate().serialNumber;
    // A bad pair first: the master refuses the reload with a log line saying why; the running workers stay.
    writeFileSync(certPath, 'garbage');
    proxy!.proc.kill('SIGHUP');
    await waitFor(proxy!, /reload cancelled: tls: /, 'refusal log');
    assert.equal((await h2Get(old, '/still-served')).status, 200);
    copyFileSync(second.cert, certPath);
    copyFileSync(second.key, keyPath);
    const mark = proxy!.out().length;
    // Ends with GOAWAY (or an idle-timeout GOAWAY earlier): closed, not cut with an error.
    const ended = new Promise<Error | null>((resolve, reject) => {
      if (old.closed) resolve(null);
      old.once('error', resolve);
      old.once('close', () => resolve(null));
      setTimeout(() => reject(new Error('the old h2 connection was not closed within 30 s')), 30_000).unref();
    });
    proxy!.proc.kill('SIGHUP');
    const deadline = Date.now() + 20_000;
    while (!/reloaded: generation \d+ serving/.test(proxy!.out().slice(mark))) {
      if (Date.now() > deadline) throw new Error(proxy!.out());
      await new Promise((r) => setTimeout(r, 20));
    }
    // The new generation reads the files at boot; the old worker sends its sessions GOAWAY as it drains.
    assert.equal(await ended, null, 'the old connection closed without an error');
    const fresh = http2.connect(`https://127.0.0.1:${tlsPort}`, { ca: pki.ca, servername: 'site.test' });
    try {
      assert.equal((await h2Get(fresh, '/after')).status, 200);
      assert.notEqual((fresh.socket as TLSSocket).getPeerCertificate().serialNumber, oldSerial);
    } finally {
      fresh.close();
      old.close();
    }
  });
});
