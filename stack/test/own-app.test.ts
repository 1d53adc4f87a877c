// Any app, any proxy config: the user's app from their own folder named by TSGI_START_APP, served through the
// proxy as their own proxy.yaml describes it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePorts, killAll, markedPids, startStack, upRecord, userApp, waitUntil, within } from './stack-run.js';

test("TSGI_START_APP and --proxy-config: the user's app answers through the user's proxy config; TERM stops everything, exit 0", { timeout: 120_000 }, async (t) => {
  const { dir } = userApp(`const enc = new TextEncoder();
export const greet = (environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [enc.encode('hi from ' + environ.PATH_INFO)];
};
`);
  const ports = await freePorts();
  writeFileSync(
    join(dir, 'proxy.yaml'),
    `listeners:\n  - address: 127.0.0.1:${ports.proxy}\nadmin:\n  address: 127.0.0.1:${ports.admin}\n` +
      `upstreams:\n  app:\n    servers: [127.0.0.1:${ports.apps[0]}, 127.0.0.1:${ports.apps[1]}]\n` +
      'routes:\n  - { host: "*", path: /, upstream: app }\naccessLog: false\n',
  );
  const run = await startStack(dir, ['--proxy-config', 'proxy.yaml', '--workers', '1'], { TSGI_START_APP: 'app.mjs:greet' }, { proxyFlags: false, ports });
  t.after(() => killAll(run.marker));
  const up = await waitUntil('the "stack is up" record', 60_000, () => {
    if (run.child.exitCode !== null) throw new Error(`tsgi-stack exited: ${run.stderr()}`);
    return upRecord(run) as { urls: Record<string, string> } | undefined;
  });
  assert.equal(up.urls['edge proxy: start here'], `http://127.0.0.1:${ports.proxy}/`);
  const res = await fetch(`http://127.0.0.1:${ports.proxy}/there`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hi from /there');
  // Not logged: accessLog false in the user's config reached the proxy.
  assert.doesNotMatch(run.stdout(), /"msg":"access"/);
  run.child.kill('SIGTERM');
  assert.deepEqual(await within(run.exited, 40_000), { code: 0, signal: null }, run.stderr().slice(-2000));
  await waitUntil('every process of the run to exit', 10_000, () => markedPids(run.marker).length === 0);
});
