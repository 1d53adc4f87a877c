import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { basicConfig, raw, runCli, startProxy, startUpstream, until, type Proc } from './helpers.js';

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

const withAccessLog = (yaml: string, format: string | null): string => yaml.replace('accessLog: false', format === null ? 'accessLog: true' : `accessLog: { format: ${JSON.stringify(format)} }`);

async function lineOf(proxy: Proc, match: (line: string) => boolean): Promise<string> {
  let found = '';
  await until(() => {
    found = proxy.output().split('\n').find(match) ?? '';
    return found !== '';
  }, 10_000, 'the access line');
  return found;
}

test('JSON access records (the default) carry upstream connect and header times, bytes both ways, retries and the upstream address', async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(withAccessLog(basicConfig([up.port]), null));
  t.after(() => proxy.kill());
  const head = `GET /slow?ms=150 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
  const reply = await raw(proxy.port, head);
  assert.match(reply, /^HTTP\/1\.1 200/);
  const body = reply.slice(reply.indexOf('\r\n\r\n') + 4);
  const rec = JSON.parse(await lineOf(proxy, (l) => l.includes('"msg":"access"') && l.includes('/slow'))) as Record<string, unknown>;
  assert.equal(rec.endpoint, `127.0.0.1:${up.port}`);
  assert.equal(rec.retries, 0);
  assert.equal(rec.bytes_in, Buffer.byteLength(head));
  assert.equal(rec.bytes, Buffer.byteLength(body));
  assert.equal(typeof rec.connect_ms, 'number');
  // The upstream waited 150 ms before its head: the header time includes that wait, the connect time does not.
  assert.ok((rec.header_ms as number) >= 150, `header_ms ${String(rec.header_ms)}`);
  assert.ok((rec.connect_ms as number) <= (rec.header_ms as number));
});

test('accessLog { format: combined }: nginx combined plus upstream address, timings, request length and retries; a refused connect shows as a retry', async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const dead = await deadPort();
  // Two endpoints, one refusing: the request that tries it first is retried on the other.
  const proxy = await startProxy(withAccessLog(basicConfig([dead, up.port], '', 'retries: { attempts: 1 }'), 'combined'));
  t.after(() => proxy.kill());
  const payload = 'x'.repeat(100);
  const head = `POST /upload HTTP/1.1\r\nHost: x\r\nReferer: http://ref.example/"quoted"\r\nUser-Agent: probe/1.0\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`;
  for (let i = 0; i < 2; i++) assert.match(await raw(proxy.port, head + payload), /^HTTP\/1\.1 200/);
  await until(() => proxy.output().split('\n').filter((l) => l.includes('"POST /upload HTTP/1.1"')).length === 2, 10_000, 'two access lines');
  const lines = proxy.output().split('\n').filter((l) => l.includes('"POST /upload HTTP/1.1"'));
  const re =
    /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "POST \/upload HTTP\/1\.1" 200 (\d+) "http:\/\/ref\.example\/\\x22quoted\\x22" "probe\/1\.0" upstream=(\S+) uct=(\d+\.\d{3}) uht=(\d+\.\d{3}) rt=(\d+\.\d{3}) rl=(\d+) retries=(\d)$/;
  for (const line of lines) {
    const m = re.exec(line);
    assert.ok(m, line);
    assert.equal(m[1], String('{"bytes":100}'.length));
    assert.equal(m[2], `127.0.0.1:${up.port}`, 'the endpoint that answered');
    assert.equal(Number(m[6]), Buffer.byteLength(head) + payload.length, 'request length: head and body');
  }
  const retries = lines.map((l) => Number(/retries=(\d)$/.exec(l)?.[1]));
  assert.deepEqual([...retries].sort(), [0, 1], `one request met the refusing endpoint first: ${lines.join('\n')}`);
});

test('a $field template writes the named fields; $http_<name> reads a request header; an unknown field is a one-line config error, exit 2', async (t) => {
  const up = await startUpstream();
  t.after(() => up.kill());
  const proxy = await startProxy(withAccessLog(basicConfig([up.port]), 'tmpl $request_method $request_uri $status $upstream $retries $http_x_tenant'));
  t.after(() => proxy.kill());
  assert.match(await raw(proxy.port, 'GET /status?code=201 HTTP/1.1\r\nHost: x\r\nX-Tenant: acme\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 201/);
  assert.equal(await lineOf(proxy, (l) => l.startsWith('tmpl ')), 'tmpl GET /status?code=201 201 app 0 acme');

  const bad = await startProxyConfigCheck(withAccessLog(basicConfig([up.port]), '$remote_addr $nope'));
  assert.equal(bad.code, 2);
  const errLines = bad.stderr.trim().split('\n');
  assert.equal(errLines.length, 1, bad.stderr);
  assert.match(errLines[0]!, /accessLog\.format names unknown fields \$nope \(have: .*\$upstream_connect_time/);
});

async function startProxyConfigCheck(yaml: string): Promise<{ code: number | null; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-access-log-'));
  try {
    const path = join(dir, 'proxy.yaml');
    writeFileSync(path, yaml);
    return await runCli(['--config', path]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
