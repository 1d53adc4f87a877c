import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateConfig } from '../src/config/config.ts';
import { configErrorOf as errorOf, MINIMAL_CONFIG as base, runCli } from './helpers.ts';

const app = (extra: Record<string, unknown>) => ({ upstreams: { app: { servers: ['127.0.0.1:9'], ...extra } } });

describe('config values a timer or a probe cannot use', () => {
  // Each of these was accepted before: 0 made every request (or probe) time out at once, or spun a
  // 0 ms probe/DNS loop; a timer over 2^31-1 ms fires after 1 ms in Node (TimeoutOverflowWarning).
  for (const [raw, key, zero] of [
    [{ timeouts: { clientHeader: 0 } }, 'timeouts.clientHeader', 0],
    [{ timeouts: { clientIdle: '0s' } }, 'timeouts.clientIdle', '0s'],
    [app({ timeouts: { connect: 0 } }), 'upstreams.app.timeouts.connect', 0],
    [app({ timeouts: { header: 0 } }), 'upstreams.app.timeouts.header', 0],
    [app({ timeouts: { idle: 0 } }), 'upstreams.app.timeouts.idle', 0],
    [app({ active: { interval: 0 } }), 'upstreams.app.active.interval', 0],
    [app({ active: { timeout: '0ms' } }), 'upstreams.app.active.timeout', '0ms'],
    [app({ resolve: { interval: 0, minInterval: 0 } }), 'upstreams.app.resolve.interval', 0],
    [app({ passive: { ejectBase: 0 } }), 'upstreams.app.passive.ejectBase', 0],
  ] as const) {
    test(`${key}: 0 is refused, naming the key`, () => {
      assert.equal(errorOf(raw), `config: ${key} must be more than 0 (0 would expire at once), got ${JSON.stringify(zero)} (from proxy.yaml)`);
    });
  }

  test('a duration longer than a Node timer can hold is refused, not turned into 1 ms', () => {
    assert.equal(errorOf({ timeouts: { drain: '9999999h' } }), 'config: timeouts.drain must be at most 2147483647 ms (about 24 days), got "9999999h" (from proxy.yaml)');
    assert.match(errorOf(app({ active: { interval: 2 ** 31 } })), /^config: upstreams\.app\.active\.interval must be at most 2147483647 ms/);
    assert.equal(validateConfig({ ...base, timeouts: { drain: 2 ** 31 - 1 } }, 'x').timeouts.drain, 2 ** 31 - 1);
  });

  test('where 0 means off (total, tunnelIdle, keepAlive, drain, slowStart) it stays allowed', () => {
    const c = validateConfig({ ...base, ...app({ timeouts: { total: 0, tunnelIdle: 0 }, slowStart: 0 }), timeouts: { keepAlive: 0, drain: 0 } }, 'x');
    assert.equal(c.upstreams.app!.timeouts.total, 0);
    assert.equal(c.timeouts.keepAlive, 0);
  });
});

describe('bad units and types say what a good value looks like', () => {
  test('durations and sizes: the hint, not zod\'s "Invalid input"', () => {
    assert.equal(errorOf({ timeouts: { keepAlive: '5x' } }), 'config: timeouts.keepAlive must be a duration such as 500ms, 5s or 2m (a plain number is milliseconds), got "5x" (from proxy.yaml)');
    assert.match(errorOf({ timeouts: { keepAlive: true } }), /^config: timeouts\.keepAlive must be a duration such as 500ms.*, got true/);
    assert.match(errorOf({ timeouts: { keepAlive: 1.5 } }), /^config: timeouts\.keepAlive must be a duration/);
    assert.equal(errorOf({ limits: { maxBodyBytes: '10q' } }), 'config: limits.maxBodyBytes must be a size such as 16k, 10m or 1g (a plain number is bytes), got "10q" (from proxy.yaml)');
    assert.match(errorOf({ limits: { maxBodyBytes: -1 } }), /^config: limits\.maxBodyBytes must be a size .*, got -1/);
    const ok = validateConfig({ ...base, limits: { maxBodyBytes: '16k' }, timeouts: { keepAlive: '1.5s' } }, 'x');
    assert.equal(ok.limits.maxBodyBytes, 16 * 1024);
    assert.equal(ok.timeouts.keepAlive, 1500);
  });

  test('an unknown key is named itself, not as a dump of the object around it', () => {
    assert.equal(errorOf({ bogus: 1 }), 'config: bogus is not a known key (from proxy.yaml)');
    assert.equal(errorOf({ upstreams: { app: { servers: [{ address: '127.0.0.1:9', wieght: 2 }] } } }), 'config: upstreams.app.servers.0.wieght is not a known key (from proxy.yaml)');
    assert.equal(errorOf(app({ retires: { attempts: 1 } })), 'config: upstreams.app.retires is not a known key (from proxy.yaml)');
  });

  test('an empty upstreams map says so', () => {
    assert.equal(errorOf({ upstreams: {} }), 'config: routes.0.upstream names no upstream (have: none), got "app" (from proxy.yaml)');
  });
});

describe('listeners that could never all bind', () => {
  test('two listeners on one port, or on the wildcard and a host of that port, or the admin port on a listener', () => {
    assert.match(errorOf({ listeners: [{ address: '127.0.0.1:8080' }, { address: '127.0.0.1:8080' }] }), /^config: listeners\.1\.address is on the same port as listeners\.0 \(127\.0\.0\.1:8080\); both cannot bind it, got "127\.0\.0\.1:8080"/);
    assert.match(errorOf({ listeners: [{ address: '0.0.0.0:8443' }, { address: '127.0.0.1:8443' }] }), /^config: listeners\.1\.address is on the same port as listeners\.0 \(0\.0\.0\.0:8443\)/);
    assert.match(errorOf({ listeners: [{ address: '127.0.0.1:8080' }], admin: { address: '[::]:8080' } }), /^config: admin\.address is on the same port as listeners\.0/);
  });

  test('port 0 twice, or one port on two different hosts, is fine', () => {
    assert.equal(validateConfig({ ...base, listeners: [{ address: '127.0.0.1:0' }, { address: '127.0.0.1:0' }], admin: { address: '127.0.0.1:0' } }, 'x').listeners.length, 2);
    assert.equal(validateConfig({ ...base, listeners: [{ address: '127.0.0.1:8080' }, { address: '127.0.0.2:8080' }] }, 'x').listeners.length, 2);
  });
});

describe('tsgi-proxy --check-config names the file and the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-values-'));
  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  test('a bad value, an unknown key (YAML and JSON), a repeated key: one line, exit 2, file:line', async () => {
    try {
      const yaml = write('bad.yaml', 'upstreams:\n  app:\n    servers: ["127.0.0.1:9"]\n    timeouts:\n      connect: 5x\nroutes: [{ upstream: app }]\n');
      const r = await runCli(['--config', yaml, '--check-config']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `config: upstreams.app.timeouts.connect must be a duration such as 500ms, 5s or 2m (a plain number is milliseconds), got "5x" (from ${yaml}:5)\n`);
      const typo = write('typo.yaml', 'upstreams:\n  app:\n    servers:\n      - address: "127.0.0.1:9"\n        wieght: 2\nroutes: [{ upstream: app }]\n');
      const t = await runCli(['--config', typo, '--check-config']);
      assert.equal(t.code, 2);
      assert.equal(t.stderr, `config: upstreams.app.servers.0.wieght is not a known key (from ${typo}:5)\n`);
      const json = write('typo.json', '{\n  "upstreams": { "app": { "servers": ["127.0.0.1:9"] } },\n  "routes": [{ "upstream": "app" }],\n  "acessLog": false\n}\n');
      const j = await runCli(['--config', json, '--check-config']);
      assert.equal(j.code, 2);
      assert.equal(j.stderr, `config: acessLog is not a known key (from ${json}:4)\n`);
      const twice = write('twice.yaml', 'upstreams:\n  app:\n    servers: ["127.0.0.1:9"]\n    servers: ["127.0.0.1:8"]\nroutes: [{ upstream: app }]\n');
      const d = await runCli(['--config', twice, '--check-config']);
      assert.equal(d.code, 2);
      assert.equal(d.stderr, `config: ${twice} is not valid YAML: Map keys must be unique at line 4, column 5\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
