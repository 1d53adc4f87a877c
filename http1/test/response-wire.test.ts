import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ChunkedDecoder, DEFAULT_HEAD_LIMITS, LAST_CHUNK, reasonPhrase, serializeErrorAnswer, statusLine, writeChunk } from '../src/index.ts';

/** Everything written to a stream, as one buffer. */
function collect(write: (out: PassThrough) => void): Buffer {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (b: Buffer) => parts.push(b));
  write(out);
  out.end();
  return Buffer.concat(parts);
}

test('writeChunk: small and large chunks, then LAST_CHUNK, decode back to the same bytes with the strict decoder', () => {
  // 16 KiB is where the encoder stops copying into one buffer and corks three writes instead.
  const sizes = [1, 15, 16, 16 * 1024, 16 * 1024 + 1, 100_000];
  const bodies = sizes.map((n, i) => Buffer.alloc(n, 97 + i));
  const wire = collect((out) => {
    for (const b of bodies) writeChunk(out, b);
    out.write(LAST_CHUNK);
  });
  assert.equal(wire.subarray(0, 3).toString('latin1'), '1\r\n');
  const decoded: Buffer[] = [];
  const decoder = new ChunkedDecoder(DEFAULT_HEAD_LIMITS);
  const end = decoder.push(wire, 0, (buf, s, e) => decoded.push(buf.subarray(s, e)));
  assert.equal(end, wire.length, 'the body ends exactly at the last chunk');
  assert.deepEqual(Buffer.concat(decoded), Buffer.concat(bodies));
});

test('reason phrases: one table with RFC 9110 names, and an unknown code says Unknown', () => {
  assert.equal(reasonPhrase(404), 'Not Found');
  assert.equal(reasonPhrase(413), 'Content Too Large');
  assert.equal(reasonPhrase(422), 'Unprocessable Content');
  assert.equal(reasonPhrase(599), 'Unknown');
  assert.equal(statusLine(502), '502 Bad Gateway');
});

test('serializeErrorAnswer: Content-Length counts UTF-8 bytes, HEAD leaves the body out, close is said once', () => {
  const answer = { status: 400, contentType: 'text/plain; charset=utf-8', body: 'bad: ünïcode\n', lines: 'x-proxy-error: PX_ERR_X\r\n', close: true };
  const full = serializeErrorAnswer(answer).toString('utf8');
  assert.equal(
    full,
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 15\r\nx-proxy-error: PX_ERR_X\r\nConnection: close\r\n\r\nbad: ünïcode\n',
  );
  const head = serializeErrorAnswer({ ...answer, head: true, close: false }).toString('latin1');
  assert.match(head, /^HTTP\/1\.1 400 Bad Request\r\n[^]*Content-Length: 15\r\n[^]*\r\n\r\n$/);
  assert.doesNotMatch(head, /Connection/);
  assert.equal(serializeErrorAnswer({ status: 503, body: '', close: true }).toString('latin1'), 'HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
});
