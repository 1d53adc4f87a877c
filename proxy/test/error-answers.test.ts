import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '@tsgi/test-support';
import { get, raw, runCli, startProxy, type ProxyProc, type Reply } from './helpers.ts';

/** Requests /limited (zone `tight`, 1r/m) until the zone refuses one; returns that answer. */
async function refusedByTheZone(port: number): Promise<Reply> {
  for (let i = 0; i < 5; i++) {
    const r = await get(port, '/limited');
    if (r.status === 429) return r;
  }
  throw new Error('the 1r/m zone refused none of 5 requests');
}

const config = (port: number, extra: string, routeExtra = ''): string => `listeners: [{ address: "127.0.0.1:0" }]
admin: { address: "127.0.0.1:0" }
upstreams:
  app:
    servers: ["127.0.0.1:${port}"]
    retries: { attempts: 0 }
limitReq:
  tight: { key: ip, rate: 1r/m }
routes:
  - { path: /limited, upstream: app, limitReq: [tight] }
  - { path: /custom, upstream: app${routeExtra} }
  - { path: /, upstream: app }
${extra}
`;

// A dead upstream used to answer `502 Bad Gateway: upstream connect error (ECONNREFUSED)` plus `x-proxy-error:
// PX_ERR_UPSTREAM_CONNECT` to any client. Now the body is nginx's short one; the detail stays in the access log.
test('502/429 answers carry no internal detail by default; the access record keeps it; debug: true shows it', { timeout: 30_000 }, async () => {
  const port = await freePort();
  let proxy: ProxyProc | null = await startProxy(config(port, ''));
  try {
    const r = await get(proxy.port, '/x');
    assert.equal(r.status, 502);
    assert.equal(r.body, '502 Bad Gateway\n');
    assert.equal(r.headers['x-proxy-error'], undefined);
    assert.doesNotMatch(JSON.stringify(r.headers), /ECONNREFUSED|PX_ERR/);
    const limited = await refusedByTheZone(proxy.port);
    assert.equal(limited.body, '429 Too Many Requests\n');
    assert.equal(limited.headers['x-proxy-error'], undefined);
    assert.ok(limited.headers['retry-after'] !== undefined, 'Retry-After stays: it is for the client');
    const access = proxy.output().split('\n').find((l) => l.includes('"msg":"access"') && l.includes('"target":"/x"')) ?? '';
    assert.match(access, /"error":"PX_ERR_UPSTREAM_CONNECT","detail":"[^"]*ECONNREFUSED/);
    // Client errors still say what was wrong with the request.
    assert.match(await raw(proxy.port, 'GET /x HTTP/1.1\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request\r\n[^]*x-proxy-error: PX_ERR_BAD_REQUEST\r\n[^]*\r\n\r\n400 Bad Request: .*Host/);
    await proxy.kill();

    proxy = await startProxy(config(port, 'debug: true'));
    const d = await get(proxy.port, '/x');
    assert.equal(d.status, 502);
    assert.match(d.body, /^502 Bad Gateway: upstream connect error \(.*ECONNREFUSED.*\)\n$/);
    assert.equal(d.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_CONNECT');
  } finally {
    await proxy?.kill();
  }
});

test('errorPages replace the body of a status, inline or from a file, globally and per route (nginx error_page)', { timeout: 30_000 }, async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-pages-'));
  const page = join(dir, '502.html');
  writeFileSync(page, '<h1>We will be right back</h1>\n');
  const withPages = config(port, `errorPages:\n  502: { file: "${page}" }\n  429: { body: "slow down\\n", type: text/plain }`, ', errorPages: { 502: { body: "{\\"error\\":\\"unavailable\\"}", type: application/json } }');
  const p = await startProxy(withPages);
  try {
    const r = await get(p.port, '/x');
    assert.equal(r.status, 502);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(r.body, '<h1>We will be right back</h1>\n');
    assert.equal(r.headers['x-proxy-error'], undefined);
    const custom = await get(p.port, '/custom');
    assert.equal(custom.status, 502);
    assert.equal(custom.headers['content-type'], 'application/json');
    assert.equal(custom.body, '{"error":"unavailable"}');
    const limited = await refusedByTheZone(p.port);
    assert.equal(limited.body, 'slow down\n');
    const head = await get(p.port, '/x', {}, 'HEAD');
    assert.equal(head.status, 502);
    assert.equal(head.body, '');
    assert.equal(Number(head.headers['content-length']), Buffer.byteLength('<h1>We will be right back</h1>\n'));
  } finally {
    await p.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an error page file that cannot be read is a one-line config error, exit 2; a page with both body and file too', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-pages-'));
  const file = join(dir, 'bad.yaml');
  try {
    writeFileSync(file, config(port, 'errorPages:\n  503: { file: /nonexistent/503.html }'));
    const r = await runCli(['--config', file, '--check-config', '--no-resolve']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, `config: errorPages.503.file cannot be read: /nonexistent/503.html (ENOENT) (from ${file})\n`);
    writeFileSync(file, config(port, 'errorPages:\n  503: { file: /x.html, body: x }'));
    const both = await runCli(['--config', file, '--check-config', '--no-resolve']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^config: errorPages\.503 needs exactly one of body or file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
