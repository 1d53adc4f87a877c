// Requests pipelined behind an Upgrade request the app answers without 101 (a
// plain WSGI app answers 200): both tiers parse them as the next requests and
// answer each, as nginx does (the fuzzer found the proxy dropping them).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rawExchange } from '../faults/raw-client.ts';
import { appAt, KEEPALIVE_S, stackMissing, startFaultStack, type FaultStack } from '../faults/stack.ts';
import { FaultLog } from '../faults/summary.ts';
import { proxyMissing } from '../src/topology/stack.ts';

const log = new FaultLog('pipelining');
const skip = stackMissing(false) ?? false;
const proxySkip = proxyMissing() ?? false;

const H = 'Host: 127.0.0.1\r\n';
const UPGRADE = 'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n';
const at = (probe: string): string => `/__faults/env?probe=${probe}`;

/** [name, bytes on one connection, the probes the app must see, in order]. */
function shapes(tag: string): [string, string, string[]][] {
  const p = (n: string): string => `${tag}-${n}`;
  return [
    ['GET with Upgrade, then GET', `GET ${at(p('s'))} HTTP/1.1\r\n${H}${UPGRADE}\r\nGET ${at(p('tail'))} HTTP/1.1\r\n${H}\r\n`, [p('s'), p('tail')]],
    ['GET with Upgrade, then POST with a body', `GET ${at(p('s2'))} HTTP/1.1\r\n${H}${UPGRADE}\r\nPOST ${at(p('post'))} HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`, [p('s2'), p('post')]],
    ['GET with Upgrade, then two GETs', `GET ${at(p('s3'))} HTTP/1.1\r\n${H}${UPGRADE}\r\nGET ${at(p('one'))} HTTP/1.1\r\n${H}\r\nGET ${at(p('two'))} HTTP/1.1\r\n${H}\r\n`, [p('s3'), p('one'), p('two')]],
  ];
}

describe('pipelined requests behind a refused upgrade', { skip }, () => {
  let stack: FaultStack;
  before(async () => {
    stack = await startFaultStack({ appservers: 1, workers: 1, proxy: proxySkip === false });
  });
  after(async () => {
    await stack?.stop();
    await log.flush();
  });

  for (const target of ['appserver', 'proxy'] as const) {
    for (const [name, bytes, probes] of shapes(target)) {
      test(`${target}: ${name}: every request answered before the keep-alive timeout`, { skip: target === 'proxy' ? proxySkip : false }, async () => {
        const port = target === 'proxy' ? stack.proxy!.port : appAt(stack, 0).port;
        // Within the keep-alive timeout: a dropped request shows as a missing answer, not as the idle close.
        const ex = await rawExchange(port, bytes, { responses: probes.length, timeoutMs: (KEEPALIVE_S * 1000) / 2 });
        const statuses = ex.responses.map((r) => r.status);
        const reached = probes.filter((p) => stack.seenWith(`probe=${p}`).length > 0);
        const pass = statuses.length === probes.length && statuses.every((s) => s === 200) && reached.length === probes.length;
        log.add({ area: `pipelining/${target}`, case: name, expected: `${probes.length} x 200, app sees each`, seen: `${statuses.join(',') || 'none'}; app saw ${reached.length}`, pass });
        assert.deepEqual(statuses, new Array(probes.length).fill(200));
        assert.deepEqual(reached, probes);
      });
    }
  }
});
