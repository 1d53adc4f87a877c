import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { httpRequest } from '@tsgi/test-support';
import { FIXTURES, runCli, tempDir, until } from './helpers.js';

/** The TCP ports process `pid` listens on (Linux /proc: its socket inodes matched against the LISTEN rows). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // The fd closed while we looked.
    }
  }
  const ports: number[] = [];
  for (const row of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').trim().split('\n').slice(1)) {
    const cols = row.trim().split(/\s+/);
    if (cols[3] === '0A' && inodes.has(cols[9]!)) ports.push(parseInt(cols[1]!.split(':')[1]!, 16));
  }
  return ports;
}

function bindFails(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const thief = createServer();
    thief.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
    thief.listen({ host: '127.0.0.1', port, exclusive: true }, () => thief.close(() => resolve(undefined)));
  });
}

const MODES: [string, string[]][] = [
  ['shared', ['--socket-model', 'shared']],
  ['round-robin', ['--socket-model', 'round-robin']],
  ['reuse-port', ['--socket-model', 'reuse-port']],
  ['sticky', ['--sticky']],
];

for (const [name, flags] of MODES) {
  test(`-b 127.0.0.1:0 (${name}): the master holds its pick while the workers boot, so a neighbour cannot take it; the workers then serve on it`, {
    skip: process.platform !== 'linux' ? 'reads /proc to find the master\'s sockets' : false,
  }, async (t) => {
    const gate = join(tempDir(), 'gate');
    const r = runCli(['-b', '127.0.0.1:0', '-w', '2', ...flags, join(FIXTURES, 'gated-boot-app.mjs') + ':app'], { env: { BOOT_GATE: gate } });
    t.after(async () => {
      if (r.proc.exitCode === null) r.proc.kill('SIGKILL');
      await r.exited;
    });
    let held: number[] = [];
    await until(
      () => {
        if (r.proc.exitCode !== null) throw new Error(`appserver exited: ${r.stderr()}`);
        held = listeningPorts(r.proc.pid!);
        return held.length === 1;
      },
      20_000,
      'the master to hold a port while no worker has booted',
    );
    const port = held[0]!;
    assert.equal(await bindFails(port), 'EADDRINUSE', `another process could bind ${port} during the workers' boot`);
    assert.doesNotMatch(r.stdout(), /Listening at/, 'not announced before a worker listens');

    // Sticky: the master accepts itself, so a client that comes before the workers waits for them.
    const early = name === 'sticky' ? httpRequest(port, '/') : undefined;
    if (early) await new Promise((resolve) => setTimeout(resolve, 200));
    writeFileSync(gate, '');
    await until(() => /Ready: /.test(r.stdout()), 30_000, `ready\n${r.stderr()}`);
    assert.match(r.stdout(), new RegExp(`Listening at: http://127\\.0\\.0\\.1:${port} `));
    const res = await httpRequest(port, "/");
    assert.equal(res.status, 200);
    if (early) assert.equal((await early).status, 200, 'the connection made before any worker was ready is served');
    assert.equal(await bindFails(port), 'EADDRINUSE');
    r.proc.kill('SIGTERM');
    assert.equal((await r.exited).code, 0);
  });
}
