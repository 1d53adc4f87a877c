import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const distApp = fileURLToPath(new URL('../dist/app.js', import.meta.url));
const distClient = fileURLToPath(new URL('../../framework/dist/index.js', import.meta.url));
const skip = existsSync(distApp) && existsSync(distClient) ? false : 'dist/ not built (npm test builds it; or run npx tsc -b sample-app)';

test('the compiled app (dist/app.js, plain node, another cwd) finds its templates and static files', { skip }, (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'tsgi-sample-dist-'));
  t.after(() => rmSync(cwd, { recursive: true, force: true }));
  const script = `
    const { app } = await import(${JSON.stringify(pathToFileURL(distApp).href)});
    const { TestClient } = await import(${JSON.stringify(pathToFileURL(distClient).href)});
    const client = new TestClient(app);
    const out = {};
    for (const path of ['/hello/dist', '/static/robots.txt', '/api/json']) {
      const r = await client.get(path);
      out[path] = [r.status, r.text];
    }
    console.log(JSON.stringify(out));`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' });
  const seen = JSON.parse(output) as Record<string, [number, string]>;
  assert.deepEqual(seen['/hello/dist'], [200, '<!doctype html><title>Hello from TSGI</title><h1>Hello dist!</h1>']);
  assert.equal(seen['/static/robots.txt']![0], 200);
  assert.equal(seen['/api/json']![0], 200, 'decorator routes compiled by tsc register');
});
