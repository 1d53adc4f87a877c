// The Node private field the appserver relies on (src/node-internals.ts), on
// the Node running this test: CI runs it on Node 22 and 24.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import { test } from 'node:test';
import { request } from 'undici';
import { serializedHeader } from '../src/node-internals.ts';

test(`headers given straight to writeHead() are read back from the sent head (Node ${process.versions.node})`, async (t) => {
  let captured: ServerResponse | undefined;
  const server = createServer((_req, res) => {
    // Fastify's way: the headers never enter getHeader()'s table.
    res.writeHead(200, { 'Content-Length': '5', 'X-Route': 'fast path' });
    res.end('hello');
    captured = res;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const res = await request(`http://127.0.0.1:${(server.address() as { port: number }).port}/`);
  assert.equal(await res.body.text(), 'hello');
  assert.equal(captured!.getHeader('content-length'), undefined, 'not in the public table');
  assert.equal(serializedHeader(captured!, 'content-length'), '5');
  assert.equal(serializedHeader(captured!, 'X-Route'), 'fast path');
  assert.equal(serializedHeader(captured!, 'x-missing'), undefined);
});
