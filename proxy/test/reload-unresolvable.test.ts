import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { RELOADED, basicConfig, get, hupUntil, runCli, startProxy, startUpstream, until } from './helpers.ts';

/** basicConfig with the upstream's one server replaced by `address`. */
const withServer = (port: number, address: string, workers: number): string => basicConfig([port], `workers: ${workers}`).replace(`"127.0.0.1:${port}"`, `"${address}"`);

// A HUP to an upstream name that does not resolve used to apply: the group went to zero endpoints (100 % 502
// PX_ERR_NO_ENDPOINT) while the log said "keeping last endpoints". nginx refuses such a reload.
for (const workers of [1, 2]) {
  test(`workers: ${workers}: a HUP that would leave a serving group with no endpoint (a name that does not resolve) is refused in one line; the old config keeps serving; a good HUP then applies`, { timeout: 60_000 }, async () => {
    const a = await startUpstream();
    const b = await startUpstream();
    const proxy = await startProxy(basicConfig([a.port], `workers: ${workers}`));
    const servedBy = async (): Promise<number> => {
      const r = await get(proxy.port, '/echo');
      assert.equal(r.status, 200, r.body);
      return JSON.parse(r.body).port;
    };
    try {
      assert.equal(await servedBy(), a.port);
      const refused = /reload cancelled: upstream \\"app\\" would have no endpoints \(no-such-host\.invalid: \w+\)/;
      const out = await hupUntil(proxy, withServer(a.port, `no-such-host.invalid:${b.port}`, workers), refused, 'the reload to be refused');
      assert.equal(out.match(refused)?.length, 1, 'one line says why');
      for (let i = 0; i < 10; i++) assert.equal(await servedBy(), a.port);
      assert.doesNotMatch(proxy.output(), /keeping last endpoints/, 'no endpoints were kept by DNS: the reload was refused');

      await hupUntil(proxy, basicConfig([b.port], `workers: ${workers}`), RELOADED, 'the good reload');
      await until(async () => (await servedBy()) === b.port, 20_000, 'the good reload to serve b');
    } finally {
      await proxy.kill();
      await a.kill();
      await b.kill();
    }
  });
}

test('--check-config refuses an upstream name that does not resolve in one line, exit 2 (as nginx -t); --no-resolve skips the lookup', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-resolve-'));
  try {
    const file = join(dir, 'proxy.yaml');
    writeFileSync(file, withServer(9, 'no-such-host.invalid:8000', 1).replace('servers: [', 'servers: ["127.0.0.1:9", '));
    const r = await runCli(['--config', file, '--check-config']);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, `config: upstreams.app.servers.1 host not found in upstream: "no-such-host.invalid" (nxdomain) (from ${file})\n`);
    const skipped = await runCli(['--config', file, '--check-config', '--no-resolve']);
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /^config ok: /);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
