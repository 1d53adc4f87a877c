// Every package's errors go through one @tsgi/errors catalogue. Checked here,
// over the real packages: codes unique (within a catalogue's source and across
// catalogues), statuses HTTP statuses, every code named in a package's src/
// or bin/ catalogued there or in a @tsgi package it depends on, the wire
// catalogue's statuses kept by the gateway's and the proxy's mapping, and an
// uncatalogued code a compile error (tsc over a fixture of @ts-expect-error lines).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ARBITER_ERRORS } from '@tsgi/arbiter';
import { APPSERVER_ERRORS } from '@tsgi/appserver';
import { CREATE_ERRORS } from 'create-tsgi';
import { CODE_PATTERN, isValidStatus, type ErrorCatalogue } from '@tsgi/errors';
import { FRAMEWORK_ERRORS } from '@tsgi/framework';
import { GATEWAY_ERRORS } from '@tsgi/gateway';
import { WIRE_ERRORS, WireError, type WireErrorCode } from '@tsgi/http1';
import { LOAD_TEST_ERRORS } from '@tsgi/load-tests';
import { MIDDLEWARE_ERRORS } from '@tsgi/middleware';
import { PX_ERRORS } from '@tsgi/proxy';
import { STACK_ERRORS } from '@tsgi/stack';
import { toProtocolError } from '../../gateway/src/server/wire-errors.ts';
import { toProxyError } from '../../proxy/src/wire.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Each package's catalogue and the file that declares it. */
const CATALOGUES: Record<string, { catalogue: ErrorCatalogue; file: string }> = {
  http1: { catalogue: WIRE_ERRORS, file: 'http1/src/errors.ts' },
  arbiter: { catalogue: ARBITER_ERRORS, file: 'arbiter/src/errors.ts' },
  gateway: { catalogue: GATEWAY_ERRORS, file: 'gateway/src/errors.ts' },
  appserver: { catalogue: APPSERVER_ERRORS, file: 'appserver/src/errors.ts' },
  middleware: { catalogue: MIDDLEWARE_ERRORS, file: 'middleware/src/errors.ts' },
  framework: { catalogue: FRAMEWORK_ERRORS, file: 'framework/src/errors.ts' },
  proxy: { catalogue: PX_ERRORS, file: 'proxy/src/errors.ts' },
  stack: { catalogue: STACK_ERRORS, file: 'stack/src/errors.ts' },
  'load-tests': { catalogue: LOAD_TEST_ERRORS, file: 'load-tests/src/errors.ts' },
  'create-tsgi': { catalogue: CREATE_ERRORS, file: 'create-tsgi/src/errors.ts' },
};
/** A code as written in source; a match ending in `_` is a family in prose (`FW_ERR_ROUTE_*`), not a code. */
const CODE_IN_SOURCE = /\b[A-Z][A-Z0-9]*_ERR_[A-Z0-9_]+/g;

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) return sources(full);
    return /\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

test('every workspace with errors has a catalogue here', () => {
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const withErrors = workspaces.filter((w) => existsSync(join(ROOT, w, 'src/errors.ts')));
  assert.deepEqual(withErrors.sort(), Object.keys(CATALOGUES).sort());
});

test('codes are <PREFIX>_ERR_<WHAT>, written once in their catalogue and in no other; statuses are HTTP statuses', () => {
  const owner = new Map<string, string>();
  for (const [pkg, { catalogue, file }] of Object.entries(CATALOGUES)) {
    const codes = Object.keys(catalogue);
    assert.ok(codes.length > 0, `${pkg}: empty catalogue`);
    // An object literal keeps the last of two equal keys: count the keys as written.
    const written = [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^\s*([A-Z][A-Z0-9]*_ERR_[A-Z0-9_]+):\s*\{/gm)].map((m) => m[1]);
    assert.deepEqual(written.sort(), [...codes].sort(), `${file}: a code written twice or an entry not shaped CODE: { ... }`);
    for (const code of codes) {
      assert.match(code, CODE_PATTERN, `${pkg}: ${code}`);
      const status = catalogue[code]?.status;
      assert.ok(status === undefined || isValidStatus(status), `${pkg}: ${code} has status ${String(status)}`);
      assert.equal(owner.get(code), undefined, `${code} is in the ${owner.get(code)} and the ${pkg} catalogue`);
      owner.set(code, pkg);
    }
  }
});

test('every code named in a package src/ or bin/ is in its catalogue or in that of a @tsgi package it depends on', () => {
  const byName = new Map<string, string>();
  for (const pkg of Object.keys(CATALOGUES)) byName.set((JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')) as { name: string }).name, pkg);
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const problems: string[] = [];
  // @tsgi/errors itself names example codes in its comments.
  for (const workspace of workspaces.filter((w) => w !== 'errors')) {
    const manifest = JSON.parse(readFileSync(join(ROOT, workspace, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
    const reachable = [manifest.name, ...Object.keys(manifest.dependencies ?? {})].flatMap((name) => {
      const pkg = byName.get(name);
      return pkg === undefined ? [] : [CATALOGUES[pkg]!.catalogue];
    });
    for (const file of [...sources(join(ROOT, workspace, 'src')), ...sources(join(ROOT, workspace, 'bin'))]) {
      for (const [code] of readFileSync(file, 'utf8').matchAll(CODE_IN_SOURCE)) {
        if (code.endsWith('_') || reachable.some((catalogue) => code in catalogue)) continue;
        problems.push(`${file.slice(ROOT.length)}: ${code}`);
      }
    }
  }
  assert.deepEqual([...new Set(problems)], []);
});

test('the gateway and the proxy answer each wire error with the wire catalogue status', () => {
  for (const code of Object.keys(WIRE_ERRORS) as WireErrorCode[]) {
    const wire = new WireError(code, 'detail');
    const proxied = toProxyError(wire) as { code: string; status: number | undefined };
    assert.match(proxied.code, /^PX_ERR_/, code);
    assert.equal(proxied.status, wire.status, `${code} → ${proxied.code}`);
    if (wire.area === 'response') continue; // the gateway parses no responses
    const refused = toProtocolError(wire) as { code: string; status: number; message: string; cause: unknown };
    assert.match(refused.code, /^GW_ERR_/, code);
    assert.equal(refused.status, wire.status, `${code} → ${refused.code}`);
    assert.ok(refused.message.endsWith(wire.detail) && refused.cause === wire, code);
  }
});

test('an uncatalogued code or a wrong template argument does not compile (tsc over @ts-expect-error lines)', () => {
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
  const fixture = join(ROOT, 'scripts/test/fixtures/uncatalogued-codes.ts');
  const flags = ['--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--customConditions', '@tsgi/source', '--allowImportingTsExtensions'];
  const run = spawnSync(process.execPath, [tsc, ...flags, fixture], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `tsc: every @ts-expect-error line must fail to compile and nothing else may\n${run.stdout}${run.stderr}`);
});
