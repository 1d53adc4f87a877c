import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from './helpers.ts';

// A listener or the admin port that cannot bind at startup: one line naming the key and the address, exit 3
// (tsgi-appserver's code for "cannot listen"), no stack trace; before, it was `Error: listen EADDRINUSE` with a
// stack and exit 1, and under --workers an address the master could not pick a port on crashed the same way.
describe('tsgi-proxy startup with an address it cannot listen on', { timeout: 60_000 }, () => {
  let busy: Server;
  let busyPort = 0;
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-bind-'));
  before(async () => {
    busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as { port: number }).port;
  });
  after(() => {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (name: string, listener: string, admin: string): string => {
    const path = join(dir, name);
    writeFileSync(path, `listeners: [{ address: "${listener}" }]\nadmin: { address: "${admin}" }\naccessLog: false\nupstreams: { app: { servers: ["127.0.0.1:9"] } }\nroutes: [{ upstream: app }]\n`);
    return path;
  };

  for (const workers of ['1', '2']) {
    test(`--workers ${workers}: a listener on a port in use`, async () => {
      const r = await runCli(['--config', config(`l${workers}.yaml`, `127.0.0.1:${busyPort}`, '127.0.0.1:0'), '--workers', workers]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, new RegExp(`^tsgi-proxy: (Worker failed to boot: )?cannot listen on 127\\.0\\.0\\.1:${busyPort} \\(listeners\\.0\\.address\\): address already in use\\n$`));
    });

    test(`--workers ${workers}: the admin port in use`, async () => {
      const r = await runCli(['--config', config(`a${workers}.yaml`, '127.0.0.1:0', `127.0.0.1:${busyPort}`), '--workers', workers]);
      assert.equal(r.code, 3);
      assert.equal(r.stderr, `tsgi-proxy: cannot listen on 127.0.0.1:${busyPort} (admin.address): address already in use\n`);
    });

    test(`--workers ${workers}: an address this host does not have (192.0.2.1, TEST-NET-1)`, async () => {
      const r = await runCli(['--config', config(`n${workers}.yaml`, '192.0.2.1:0', '127.0.0.1:0'), '--workers', workers]);
      assert.equal(r.code, 3);
      assert.match(r.stderr, /^tsgi-proxy: (Worker failed to boot: )?cannot listen on 192\.0\.2\.1:0 \(listeners\.0\.address\): address not available on this host\n$/);
    });
  }
});
