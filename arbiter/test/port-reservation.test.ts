import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { get } from 'node:http';
import { killAll, startMaster } from './master-process.js';

/** GET / on a fresh connection; resolves the answering worker's pid. */
function workerPid(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(body)) : reject(new Error(`status ${res.statusCode}`))));
    }).on('error', reject);
  });
}

/** The error code another process gets binding 127.0.0.1:`port`, or undefined if it could. */
function bindError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const neighbour = createServer();
    neighbour.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    neighbour.listen({ host: '127.0.0.1', port, exclusive: true }, () => neighbour.close(() => resolve(undefined)));
  });
}

test('PortReservation: the port-0 pick stays bound while the workers boot, node:cluster binds it for them once the first asks, and replacements after kill -9 of every worker serve on it', async (t) => {
  const gate = join(mkdtempSync(join(tmpdir(), 'arbiter-port-')), 'gate');
  const m = startMaster({ workers: 2, listen: { gate } });
  t.after(() => killAll(m));
  const port = (await m.waitFor((l) => l.kind === 'picked', 'the pick')).port as number;
  await m.waitFor((l) => l.kind === 'spawned', 'a worker forked');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(await bindError(port), 'EADDRINUSE', 'a neighbour took the port while the workers booted');

  writeFileSync(gate, '');
  await m.waitFor((l) => l.kind === 'started', 'both workers listening');
  assert.ok(m.workerPids().includes(await workerPid(port)), 'a worker answered');

  const before = m.workerPids();
  for (const pid of before) process.kill(pid, 'SIGKILL');
  await m.waitFor((l) => l.kind === 'ready' && !before.includes(l.pid as number), 'a replacement ready', 30_000);
  assert.ok(!before.includes(await workerPid(port)), 'a replacement answered on the same port');

  m.kill('SIGTERM');
  assert.equal(await m.exit(), 0);
});
