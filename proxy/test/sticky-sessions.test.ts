import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RELOADED, basicConfig, get, runCli, startProxy, startUpstream, until, type Reply } from './helpers.ts';

const STICKY = 'sticky: { cookie: SRV, maxAge: 1h, sameSite: Lax }\npassive: { maxFails: 1, ejectBase: 5s }';

function setCookie(r: Reply): string | undefined {
  const v = r.headers['set-cookie'];
  const line = Array.isArray(v) ? v.find((c) => c.startsWith('SRV=')) : v;
  return line;
}

const portOf = (r: Reply): number => (JSON.parse(r.body) as { port: number }).port;
const valueOf = (line: string): string => /^SRV=([^;]+)/.exec(line)![1]!;

test('sticky cookie insertion under --workers 2: the first response names its endpoint, every later request with the cookie lands there; values are the same in every worker', { timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port, b.port], '', STICKY), ['--workers', '2']);
  try {
    // New clients (fresh connections spread over both proxy workers): each is pinned from its first response.
    const valueByPort = new Map<number, Set<string>>();
    for (let i = 0; i < 16; i++) {
      const r = await get(proxy.port, '/echo');
      assert.equal(r.status, 200);
      const line = setCookie(r);
      assert.ok(line, 'the first response inserts the cookie');
      assert.match(line, /^SRV=[\w-]{16}; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
      const port = portOf(r);
      if (!valueByPort.has(port)) valueByPort.set(port, new Set());
      valueByPort.get(port)!.add(valueOf(line));
    }
    assert.equal(valueByPort.size, 2, 'new clients are balanced over both endpoints');
    for (const [port, values] of valueByPort) assert.equal(values.size, 1, `one cookie value for :${port} across workers: ${[...values].join(', ')}`);
    // A pinned client: 20 requests on fresh connections, all to its endpoint, no cookie re-sent.
    const [pinnedPort, values] = [...valueByPort][0]!;
    const cookie = `other=1; SRV=${[...values][0]}`;
    for (let i = 0; i < 20; i++) {
      const r = await get(proxy.port, '/echo', { cookie });
      assert.equal(portOf(r), pinnedPort);
      assert.equal(setCookie(r), undefined, 'no Set-Cookie when the cookie already names the endpoint');
    }
    // An unknown value falls back to the balancer and is replaced.
    const stale = await get(proxy.port, '/echo', { cookie: 'SRV=not-an-endpoint' });
    assert.equal(stale.status, 200);
    assert.ok(setCookie(stale));
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});

test('sticky endpoint killed (ejected) or removed by a reload: requests with its cookie go elsewhere and get a cookie naming the new endpoint', { timeout: 60_000 }, async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  const proxy = await startProxy(basicConfig([a.port, b.port], '', STICKY));
  try {
    let first = await get(proxy.port, '/echo');
    while (portOf(first) !== a.port) first = await get(proxy.port, '/echo');
    const cookieA = `SRV=${valueOf(setCookie(first)!)}`;
    await a.kill('SIGKILL');
    const moved = await get(proxy.port, '/echo', { cookie: cookieA });
    assert.equal(moved.status, 200);
    assert.equal(portOf(moved), b.port);
    const cookieB = `SRV=${valueOf(setCookie(moved)!)}`;
    assert.notEqual(cookieB, cookieA);
    const again = await get(proxy.port, '/echo', { cookie: cookieB });
    assert.equal(portOf(again), b.port);
    assert.equal(setCookie(again), undefined);

    // Removed from the config: the cookie naming b falls back to c.
    const c = await startUpstream();
    try {
      writeFileSync(proxy.configPath, basicConfig([c.port], '', STICKY));
      proxy.child.kill('SIGHUP');
      // The new worker serves once the old one has drained and left.
      await until(() => RELOADED.test(proxy.output()) && /exited: reload/.test(proxy.output()), 20_000, 'the reload');
      const after = await get(proxy.port, '/echo', { cookie: cookieB });
      assert.equal(after.status, 200);
      assert.equal(portOf(after), c.port);
      assert.ok(setCookie(after));
      assert.notEqual(`SRV=${valueOf(setCookie(after)!)}`, cookieB);
    } finally {
      await c.kill();
    }
  } finally {
    await proxy.kill();
    await b.kill();
  }
});

test('sticky config is validated: sameSite None without secure and a bad cookie name exit 2 naming the field; a good one is summarised', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-sticky-'));
  writeFileSync(join(dir, 'ok.yaml'), basicConfig([1], '', 'sticky: { cookie: SRV }'));
  const ok = await runCli(['--config', join(dir, 'ok.yaml'), '--check-config']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /upstream app: round_robin, sticky cookie SRV/);
  for (const [sticky, want] of [
    ['sticky: { sameSite: None }', /sticky.*sameSite.*secure/],
    ['sticky: { cookie: "bad name" }', /sticky.*cookie.*token/],
  ] as const) {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, basicConfig([1], '', sticky));
    const r = await runCli(['--config', file, '--check-config']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, want);
  }
});
