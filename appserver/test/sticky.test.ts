import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { FIXTURES, startAppserver, until } from './helpers.js';

/** GET on a fresh connection from `localAddress`; resolves the answering worker's pid. */
function pidFrom(url: string, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, localAddress }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const ADDRESSES = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);

test('--sticky with a TSGI app and --workers 2: every connection from one address reaches the same worker; 8 addresses spread over both; HUP keeps serving', async (t) => {
  const s = await startAppserver(['-w', '2', '--sticky', join(FIXTURES, 'pid-app.mjs') + ':app']);
  t.after(() => s.stop());
  assert.match(s.stdout(), /socket model sticky/);
  const byAddress = new Map<string, Set<string>>();
  for (let round = 0; round < 4; round++) {
    for (const a of ADDRESSES) {
      const pid = await pidFrom(s.url, a);
      if (!byAddress.has(a)) byAddress.set(a, new Set());
      byAddress.get(a)!.add(pid);
    }
  }
  for (const [a, pids] of byAddress) assert.equal(pids.size, 1, `${a} met ${[...pids].join(', ')}`);
  const workers = new Set([...byAddress.values()].map((p) => [...p][0]));
  assert.equal(workers.size, 2, 'the addresses spread over both workers');

  process.kill(s.pid, 'SIGHUP');
  await until(async () => !workers.has(await pidFrom(s.url, ADDRESSES[0]!)), 20_000, 'new workers after HUP');
  // The worker set changes in steps during a reload (each new worker ready, each old one gone): affinity holds once it is settled.
  await until(() => [...workers].every((pid) => !alive(Number(pid))), 20_000, 'the old workers gone');
  const after = new Set<string>();
  for (let i = 0; i < 4; i++) after.add(await pidFrom(s.url, ADDRESSES[0]!));
  assert.equal(after.size, 1, 'still sticky after the reload');
});

test('--sticky: TERM drains the handed-over connections and exits 0 without waiting out --graceful-timeout', async () => {
  const s = await startAppserver(['-w', '2', '--sticky', '--graceful-timeout', '20', join(FIXTURES, 'pid-app.mjs') + ':app']);
  // An idle keep-alive connection is open when TERM arrives: the drain closes it and must notice.
  const agent = new Agent({ keepAlive: true, localAddress: ADDRESSES[0] });
  await new Promise<void>((resolve, reject) => {
    const req = request(s.url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
  const started = Date.now();
  s.proc.kill('SIGTERM');
  const exit = await s.exited;
  assert.equal(exit.code, 0);
  assert.ok(Date.now() - started < 10_000, `stopped in ${Date.now() - started} ms`);
  agent.destroy();
});
