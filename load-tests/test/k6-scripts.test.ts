// k6 cannot be installed here, so the k6 scripts are checked the next best
// way: each one is loaded as an ES module with k6's modules replaced by
// recording stubs; it must export options with ramping scenarios and
// p95/p99/error-rate thresholds, and its default function must request the
// sample app's routes under BASE_URL.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';

const K6_DIR = new URL('../k6/', import.meta.url);
const STUB_K6 = `export function check(res, checks) { for (const f of Object.values(checks)) f(res); return true; }
export function sleep() {}
`;
const STUB_HTTP = `export default { get(url, params) { globalThis.__k6Requests.push({ url, params }); return { status: 200, body: '' }; } };
`;

interface K6Module {
  options: { scenarios?: Record<string, { executor: string }>; thresholds?: Record<string, string[]> };
  default: () => void;
}

const scripts = (await readdir(K6_DIR)).filter((f) => f.endsWith('.js') && f !== 'lib.js');

test('the k6 directory holds the scenario scripts', () => {
  assert.deepEqual(scripts.sort(), ['app-scaling.js', 'faults.js', 'proxy-scaling.js', 'routes.js']);
});

for (const name of scripts) {
  test(`k6/${name} loads, declares thresholds and requests the sample app under BASE_URL`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tsgi-k6-'));
    try {
      await writeFile(join(dir, 'k6.mjs'), STUB_K6);
      await writeFile(join(dir, 'k6-http.mjs'), STUB_HTTP);
      for (const f of ['lib.js', name]) {
        const src = (await readFile(new URL(f, K6_DIR), 'utf8'))
          .replace(/from 'k6\/http'/g, "from './k6-http.mjs'")
          .replace(/from 'k6'/g, "from './k6.mjs'")
          .replace(/from '\.\/lib\.js'/g, "from './lib.mjs'");
        await writeFile(join(dir, f.replace(/\.js$/, '.mjs')), src);
      }
      const g = globalThis as unknown as { __ENV: Record<string, string>; __k6Requests: Array<{ url: string }> };
      g.__ENV = { BASE_URL: 'http://127.0.0.1:18080' };
      g.__k6Requests = [];
      const mod = (await import(pathToFileURL(join(dir, name.replace(/\.js$/, '.mjs'))).href)) as K6Module;
      const scen = Object.values(mod.options.scenarios ?? {});
      assert.ok(scen.length > 0, 'declares a scenario');
      assert.ok(scen.every((s) => /ramping|constant-arrival/.test(s.executor)), JSON.stringify(scen));
      const th = mod.options.thresholds ?? {};
      assert.ok(th.http_req_failed?.length, 'an error-rate threshold');
      if (name !== 'faults.js') {
        assert.ok(th.http_req_duration?.some((t) => t.startsWith('p(95)')), 'a p95 threshold');
        assert.ok(th.http_req_duration?.some((t) => t.startsWith('p(99)')), 'a p99 threshold');
      }
      for (let i = 0; i < 50; i++) mod.default();
      assert.ok(g.__k6Requests.length >= 50);
      for (const r of g.__k6Requests) {
        assert.match(r.url, /^http:\/\/127\.0\.0\.1:18080\/(|post\/\d+|hello\/\w+|api\/json|static\/[\w.]+|cpu\?n=\d+)$/);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
