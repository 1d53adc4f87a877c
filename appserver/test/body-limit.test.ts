import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { RawConnection } from '@tsgi/test-support';
import { FIXTURES, startAppserver, tempDir, writeApp } from './helpers.js';

/** Sends raw bytes, `gapMs` apart, and collects the whole answer until the server closes (or `ms`). */
async function raw(url: string, chunks: Array<string | Buffer>, ms = 5000, gapMs = 0): Promise<string> {
  const { hostname, port } = new URL(url);
  const conn = await RawConnection.open(Number(port), hostname, ms);
  try {
    for (const c of chunks) {
      if (conn.serverEnded) break;
      conn.write(c);
      if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
    }
    return (await conn.readUntilClosed()).bytes.toString('latin1');
  } finally {
    conn.destroy();
  }
}

/** A 512 KiB chunked upload in 64 KiB chunks. */
function chunkedUpload(path: string): Array<string | Buffer> {
  const parts: Array<string | Buffer> = [`POST ${path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/octet-stream\r\n\r\n`];
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  for (let i = 0; i < 8; i++) parts.push(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
  parts.push('0\r\n\r\n');
  return parts;
}

const ECHO_LENGTH_NODE = `export default function app(req, res) {
  let n = 0;
  req.on('data', (c) => (n += c.length));
  req.on('end', () => res.end('got ' + n));
}
`;
const ECHO_LENGTH_TSGI = `export async function* app(environ, startResponse) {
  let n = 0;
  for await (const c of environ['tsgi.input']) n += c.length;
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  yield new TextEncoder().encode('got ' + n);
}
`;
const ECHO_LENGTH_FETCH = `export default async function app(request) {
  const body = await request.arrayBuffer();
  return new Response('got ' + body.byteLength);
}
`;

for (const [iface, source] of [
  ['node', ECHO_LENGTH_NODE],
  ['tsgi', ECHO_LENGTH_TSGI],
  ['fetch', ECHO_LENGTH_FETCH],
] as const) {
  test(`--limit-request-body 100000, --interface ${iface}: a 512 KiB chunked upload gets 413, a small one 200`, async (t) => {
    const dir = tempDir();
    const file = writeApp(dir, `${iface}.mjs`, source);
    const s = await startAppserver(['--interface', iface, '--limit-request-body', '100000', file]);
    t.after(() => s.stop());
    const big = await raw(s.url, chunkedUpload('/upload'));
    assert.match(big, /^HTTP\/1\.1 413 /, big.slice(0, 200));
    const small = await raw(s.url, ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n']);
    assert.match(small, /^HTTP\/1\.1 200 /);
    assert.match(small, /\r\n\r\n(5\r\n)?got 5/);
  });

  test(`--interface ${iface}: Expect: 100-continue with a declared length over the limit gets 413 and never 100 Continue; under the limit 100 then 200`, async (t) => {
    const dir = tempDir();
    const file = writeApp(dir, `${iface}.mjs`, source);
    const s = await startAppserver(['--interface', iface, '--limit-request-body', '100000', file]);
    t.after(() => s.stop());
    const over = await raw(s.url, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\nExpect: 100-continue\r\n\r\n'], 3000);
    assert.match(over, /^HTTP\/1\.1 413 /, over.slice(0, 200));
    assert.ok(!over.includes('100 Continue'), over.slice(0, 200));
    const under = await raw(s.url, ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n', 'hello'], 3000, 200);
    assert.match(under, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /, under.slice(0, 200));
  });
}

test('Express with body-parser allowing 10 MB: a 512 KiB chunked upload is still refused 413 by --limit-request-body', async (t) => {
  const s = await startAppserver(['--limit-request-body', '100000', join(FIXTURES, 'express-body-app.mjs') + ':app']);
  t.after(() => s.stop());
  const big = await raw(s.url, chunkedUpload('/upload'));
  assert.match(big, /^HTTP\/1\.1 413 /, big.slice(0, 200));
  const small = await raw(s.url, ['POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n']);
  assert.match(small, /^HTTP\/1\.1 200 [^]*got 5/);
});
