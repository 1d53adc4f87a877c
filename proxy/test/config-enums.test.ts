import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { z } from 'zod';
import { configSchema } from '../src/config/config.ts';
import { configErrorOf as errorOf, runCli } from './helpers.ts';

// Keys that take one of a fixed set of words, or one of a few shapes, say so plainly. Before, the message was zod's:
// `upstreams.app.balance Invalid enum value. Expected 'round_robin' | ..., received 'fastest'`, or "Invalid input".

const app = (extra: Record<string, unknown>) => ({ upstreams: { app: { servers: ['127.0.0.1:9'], ...extra } } });
const tlsListener = (tls: Record<string, unknown>) => ({ listeners: [{ address: '127.0.0.1:0', tls: { certs: [{ cert: 'c.pem', key: 'k.pem' }], ...tls } }] });
const route = (extra: Record<string, unknown>) => ({ routes: [{ upstream: 'app', ...extra }] });

/** [schema path (`*` for any name or index), raw config, the one line expected]. */
const ENUMS: [string, Record<string, unknown>, string][] = [
  ['upstreams.*.balance', app({ balance: 'fastest' }), 'config: upstreams.app.balance must be one of round_robin, least_conn, p2c, hash, got "fastest" (from proxy.yaml)'],
  ['upstreams.*.hash.source', app({ balance: 'hash', hash: { source: 'query', name: 'x' } }), 'config: upstreams.app.hash.source must be one of header, cookie, ip, got "query" (from proxy.yaml)'],
  ['upstreams.*.sticky.sameSite', app({ sticky: { sameSite: 'lax' } }), 'config: upstreams.app.sticky.sameSite must be one of Strict, Lax, None, got "lax" (from proxy.yaml)'],
  ['upstreams.*.resolve.nxdomain', app({ resolve: { nxdomain: 'drop' } }), 'config: upstreams.app.resolve.nxdomain must be one of keep, empty, got "drop" (from proxy.yaml)'],
  ['upstreams.*.proxyProtocol', app({ proxyProtocol: 'v3' }), 'config: upstreams.app.proxyProtocol must be one of off, v1, v2, got "v3" (from proxy.yaml)'],
  ['logLevel', { logLevel: 'loud' }, 'config: logLevel must be one of fatal, error, warn, info, debug, trace, silent, got "loud" (from proxy.yaml)'],
  ['listeners.*.tls.minVersion', tlsListener({ minVersion: 'TLSv1.1' }), 'config: listeners.0.tls.minVersion must be one of TLSv1.2, TLSv1.3, got "TLSv1.1" (from proxy.yaml)'],
  ['compression.encodings.*', { compression: { encodings: ['zstd'] } }, 'config: compression.encodings.0 must be one of br, gzip, got "zstd" (from proxy.yaml)'],
  ['routes.*.compression.encodings.*', route({ compression: { encodings: ['gzip', 'deflate'] } }), 'config: routes.0.compression.encodings.1 must be one of br, gzip, got "deflate" (from proxy.yaml)'],
];

/** Keys that take one of a few shapes (zod unions before), and the booleans: the same plain words. */
const SHAPES: [string, Record<string, unknown>, string][] = [
  ['a number for an enum', app({ balance: 3 }), 'config: upstreams.app.balance must be one of round_robin, least_conn, p2c, hash, got 3 (from proxy.yaml)'],
  ['a server that is neither an address nor a mapping', { upstreams: { app: { servers: [42] } } }, 'config: upstreams.app.servers.0 must be an address (host:port or unix:/path) or { address, weight }, got 42 (from proxy.yaml)'],
  ['a server string that is no address', { upstreams: { app: { servers: ['nohostport'] } } }, 'config: upstreams.app.servers.0 must be host:port with a port 0-65535, or unix:/path, got "nohostport" (from proxy.yaml)'],
  ['a server address that is no address', { upstreams: { app: { servers: [{ address: 'x' }] } } }, 'config: upstreams.app.servers.0.address must be host:port with a port 0-65535, or unix:/path, got "x" (from proxy.yaml)'],
  ['an access rule that is a string', route({ access: ['all'] }), 'config: routes.0.access.0 must be { allow: <target> } or { deny: <target> }, got "all" (from proxy.yaml)'],
  ['an access rule with both keys', route({ access: [{ allow: 'all', deny: 'all' }] }), 'config: routes.0.access.0 must be { allow: <target> } or { deny: <target> }, got {"allow":"all","deny":"all"} (from proxy.yaml)'],
  ['an access rule with another key', route({ access: [{ permit: 'all' }] }), 'config: routes.0.access.0.permit is not a known key (from proxy.yaml)'],
  ['a rate that is true', { limitReq: { z: { rate: true } } }, 'config: limitReq.z.rate must be a rate such as 10r/s or 30r/m, got true (from proxy.yaml)'],
  ['route compression that is a word', route({ compression: 'yes' }), 'config: routes.0.compression must be true, false or a mapping of compression keys, got "yes" (from proxy.yaml)'],
  ['a boolean given as a word', { accessLog: 'yes' }, 'config: accessLog must be true, false or { format: json | combined | a $field template }, got "yes" (from proxy.yaml)'],
  ['a listener boolean given as a word', { listeners: [{ address: '127.0.0.1:0', proxyProtocol: 'on' }] }, 'config: listeners.0.proxyProtocol must be true or false, got "on" (from proxy.yaml)'],
  ['a list given as a word', { listeners: '127.0.0.1:8080' }, 'config: listeners must be a list, got "127.0.0.1:8080" (from proxy.yaml)'],
  ['a mapping given as a list', { upstreams: [] }, 'config: upstreams must be a mapping (key: value), got [] (from proxy.yaml)'],
  ['an integer given as a fraction', { workers: 1.5 }, 'config: workers must be an integer, got 1.5 (from proxy.yaml)'],
  ['a required key left out', { upstreams: { app: {} } }, 'config: upstreams.app.servers is required, got nothing (from proxy.yaml)'],
  ['a path without its slash', route({ path: 'api' }), 'config: routes.0.path must start with "/", got "api" (from proxy.yaml)'],
];

/** Every path in the schema where a z.enum sits (`*` for record names and list items). */
function enumPaths(schema: z.ZodTypeAny, at: string[] = [], out = new Set<string>()): Set<string> {
  const def = schema._def as { typeName: string; [k: string]: unknown };
  const inner = (s: unknown, next = at) => enumPaths(s as z.ZodTypeAny, next, out);
  switch (def.typeName) {
    case 'ZodEnum':
      out.add(at.join('.'));
      break;
    case 'ZodObject':
      for (const [k, v] of Object.entries((schema as z.AnyZodObject).shape)) inner(v, [...at, k]);
      break;
    case 'ZodOptional':
    case 'ZodNullable':
    case 'ZodDefault':
      inner(def.innerType);
      break;
    case 'ZodEffects':
      inner(def.schema);
      break;
    case 'ZodArray':
      inner(def.type, [...at, '*']);
      break;
    case 'ZodRecord':
      inner(def.valueType, [...at, '*']);
      break;
    case 'ZodUnion':
      for (const o of def.options as z.ZodTypeAny[]) inner(o);
      break;
  }
  return out;
}

describe('enum-like config keys name their choices plainly', () => {
  for (const [path, raw, line] of [...ENUMS, ...SHAPES]) {
    test(`${path}: ${line.replace(/^config: /, '')}`, () => {
      assert.equal(errorOf(raw), line);
      assert.doesNotMatch(line, /Invalid|Expected|received/);
    });
  }

  test('the table covers every enum in the schema', () => {
    assert.deepEqual([...enumPaths(configSchema)].sort(), ENUMS.map(([p]) => p).sort());
  });

  test('from a file: one line, exit 2, file:line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-enums-'));
    try {
      const file = join(dir, 'proxy.yaml');
      writeFileSync(file, 'upstreams:\n  app:\n    servers: ["127.0.0.1:9"]\n    balance: fastest\nroutes: [{ upstream: app }]\n');
      const r = await runCli(['--config', file, '--check-config']);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, `config: upstreams.app.balance must be one of round_robin, least_conn, p2c, hash, got "fastest" (from ${file}:4)\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
