// tsgi-check-stack on a user's own pair of configs (a folder outside the repository) and on a rendered
// overlay: clean pairs exit 0 with a summary; each broken setting is one line naming it, exit 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

const CLI = fileURLToPath(new URL('../src/check/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'tsgi-check-stack-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: NodeJS.ProcessEnv = {}, input?: string): { code: number | null; stdout: string; lines: string[] } {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TSGI_')));
  const r = spawnSync(process.execPath, ['--conditions=@tsgi/source', '--import', import.meta.resolve('tsx'), CLI, ...args], {
    cwd: dir,
    env: { ...base, ...env },
    encoding: 'utf8',
    timeout: 60_000,
    input,
  });
  return { code: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter(Boolean) };
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

const good = write('proxy.yaml', 'upstreams:\n  app:\n    servers: ["127.0.0.1:26001"]\nroutes:\n  - { path: /, upstream: app }\n');

test('a pair that fits: exit 0 and one summary line', () => {
  const r = run(['--proxy-config', good, '--', 'app.js:app']);
  assert.equal(r.code, 0, r.lines.join('\n'));
  assert.match(r.stdout, /^tsgi-check-stack: ok: pool idle 1\.5s < keep-alive 2s; edge limits <= app limits; forwarded-allow-ips 127\.0\.0\.1,::1 admits the proxy\n$/);
});

test('a broken pair: one line per violation, each naming its setting, exit 2; the appserver settings come from its config file, env and flags', () => {
  const proxy = write(
    'broken-proxy.yaml',
    [
      'upstreams:',
      '  app:',
      '    servers: ["127.0.0.1:26001"]',
      '    pool: { idleTimeout: 5s }',
      'routes:',
      '  - { path: /, upstream: app }',
      '  - { path: /upload, upstream: app, maxBodyBytes: 200m }',
      'limits: { maxHeaders: 200, maxHeaderBytes: 64k }',
      'forwarded: { trust: ["0.0.0.0/0"] }',
      '',
    ].join('\n'),
  );
  write('tsgi.json', JSON.stringify({ keep_alive: 2, limit_request_body: 1_000_000 }));
  const r = run(['--proxy-config', proxy, '--', 'app.js:app', '--forwarded-allow-ips', '10.0.0.1'], { TSGI_CONFIG: 'tsgi.json', TSGI_LIMIT_REQUEST_FIELDS: '150' });
  assert.equal(r.code, 2, r.stdout);
  const expected = [
    /^tsgi-check-stack: upstreams\.app\.pool\.idleTimeout 5s is not below the appserver's keep-alive 2s: /,
    /^tsgi-check-stack: limits\.maxHeaders 200 is over the appserver's --limit-request-fields 150: /,
    /^tsgi-check-stack: limits\.maxHeaderBytes 65536 is over the appserver's the whole-head limit 32768: /,
    /^tsgi-check-stack: limits\.maxBodyBytes 104857600 is over the appserver's --limit-request-body 1000000: /,
    /^tsgi-check-stack: routes\[1\]\.maxBodyBytes 209715200 is over the appserver's --limit-request-body 1000000: /,
    /^tsgi-check-stack: forwarded\.trust 0\.0\.0\.0\/0 keeps X-Forwarded-\* from every client/,
    /^tsgi-check-stack: the appserver's --forwarded-allow-ips 10\.0\.0\.1 does not include the proxy's address toward 127\.0\.0\.1:26001 \(upstreams\.app\)/,
  ];
  assert.equal(r.lines.length, expected.length, r.lines.join('\n'));
  expected.forEach((re, i) => assert.match(r.lines[i] ?? '', re));
});

test("bad input is one line naming it, exit 2: an unknown flag, a value the appserver's own parser refuses, a proxy config the proxy refuses", () => {
  for (const [args, named] of [
    [['--proxy-cfg', good], /^tsgi-check-stack: unknown option --proxy-cfg \(try --help\)$/],
    [['--proxy-config', good, '--', 'app.js:app', '--keep-alive', 'soon'], /^tsgi-check-stack: the appserver config: config: keep-alive must be a number of seconds > 0.*got "soon" \(from --keep-alive\)$/],
    [['--proxy-config', write('typo.yaml', 'upstreams:\n  app:\n    servers: ["127.0.0.1:1"]\n    wieght: 2\nroutes: [{ upstream: app }]\n'), '--', 'app.js:app'], /^tsgi-check-stack: the proxy config: config: upstreams\.app\.wieght is not a known key/],
    [['--proxy-config', good], /^tsgi-check-stack: the appserver's arguments are required after --/],
  ] as const) {
    const r = run([...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}`);
    assert.equal(r.lines.length, 1, r.lines.join('\n'));
    assert.match(r.lines[0] ?? '', named);
  }
});

describe('a rendered overlay (--k8s)', () => {
  const labels = (name: string): Record<string, string> => ({ 'app.kubernetes.io/name': name });
  const deployment = (name: string, container: Record<string, unknown>, grace: number, volumes: unknown[] = []): Record<string, unknown> => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      selector: { matchLabels: labels(name) },
      template: {
        metadata: { labels: labels(name) },
        spec: { terminationGracePeriodSeconds: grace, containers: [{ ...container, lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } } }], volumes },
      },
    },
  });
  const objects = (grace: number, image: string): Record<string, unknown>[] => [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-env' }, data: { TSGI_BIND: '0.0.0.0:8000', TSGI_GRACEFUL_TIMEOUT: '20', TSGI_FORWARDED_ALLOW_IPS: '*' } },
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'shop-proxy' }, data: { 'proxy.yaml': 'upstreams:\n  app:\n    servers: ["shop-app:8000"]\nroutes:\n  - { path: /, upstream: app }\n' } },
    deployment('shop-app', { name: 'app', image, args: ['dist/app.js:app'], envFrom: [{ configMapRef: { name: 'shop-env' } }], ports: [{ name: 'http', containerPort: 8000 }] }, grace),
    deployment(
      'shop-proxy',
      { name: 'proxy', image: 'ghcr.io/shop/proxy:1', args: ['--config', '/etc/tsgi/proxy.yaml'], volumeMounts: [{ name: 'config', mountPath: '/etc/tsgi' }] },
      grace,
      [{ name: 'config', configMap: { name: 'shop-proxy' } }],
    ),
  ];
  const policy = (from: unknown[]): Record<string, unknown> => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'shop-app' },
    spec: { podSelector: { matchLabels: labels('shop-app') }, policyTypes: ['Ingress'], ingress: [{ from, ports: [{ port: 'http' }] }] },
  });
  const render = (objs: Record<string, unknown>[]): string => objs.map((o) => stringify(o)).join('---\n');

  test('clean: both configs read from the pods (ConfigMap env, mounted proxy.yaml), exit 0', () => {
    const r = run(['--k8s', '-'], {}, render([...objects(40, 'ghcr.io/shop/app:1'), policy([{ podSelector: { matchLabels: labels('shop-proxy') } }])]));
    assert.equal(r.code, 0, r.lines.join('\n'));
    assert.match(r.stdout, /forwarded-allow-ips '\*' fenced by NetworkPolicy shop-app; shop-app preStop 5s \+ drain 20s < grace 40s; shop-proxy preStop 5s \+ drain 30s < grace 40s/);
  });

  test('broken: grace periods too short for preStop + drain, "*" without a fence, a placeholder image', () => {
    const r = run(['--k8s', write('render.yaml', render(objects(25, 'registry.example.invalid/shop/app:1')))]);
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.lines.length, 4, r.lines.join('\n'));
    const text = r.lines.join('\n');
    assert.match(text, /--forwarded-allow-ips '\*'\) but no NetworkPolicy admits only the proxy pods to shop-app's app port/);
    assert.match(text, /Deployment shop-app: preStop 5s \+ drain 20s \(TSGI_GRACEFUL_TIMEOUT \/ --graceful-timeout\) = 25s is not below terminationGracePeriodSeconds 25/);
    assert.match(text, /Deployment shop-proxy: preStop 5s \+ drain 30s \(timeouts\.drain\) = 35s is not below terminationGracePeriodSeconds 25/);
    assert.match(text, /Deployment shop-app: image registry\.example\.invalid\/shop\/app:1 is a placeholder/);
  });

  test('a NetworkPolicy that also admits a whole namespace to the app port does not fence it', () => {
    const leaky = policy([{ podSelector: { matchLabels: labels('shop-proxy') } }, { namespaceSelector: {} }]);
    const r = run(['--k8s', '-'], {}, render([...objects(40, 'ghcr.io/shop/app:1'), leaky]));
    assert.equal(r.code, 2, r.stdout);
    assert.equal(r.lines.length, 1, r.lines.join('\n'));
    assert.match(r.lines[0] ?? '', /no NetworkPolicy admits only the proxy pods/);
  });
});
