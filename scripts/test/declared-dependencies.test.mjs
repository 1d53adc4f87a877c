import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkAll, checkWorkspace } from '../check-dependencies.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('every workspace declares what it imports and imports what it declares', () => {
  assert.deepEqual(checkAll(ROOT), []);
});

/** @param {object} pkg @param {Record<string, string>} files */
function workspace(pkg, files) {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-deps-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('the check names an undeclared import, an unused declaration and a runtime import of a devDependency', () => {
  const dir = workspace(
    { name: '@x/pkg', dependencies: { undici: '1', zod: '1' }, devDependencies: { ws: '1', '@types/ws': '1' } },
    {
      'src/index.ts': "import { z } from 'zod';\nimport WebSocket from 'ws';\nimport { readFile } from 'node:fs';\nimport './local.js';\n",
      'test/a.test.ts': "import express from 'express';\nconst lazy = await import('@scope/lib/deep');\nform.require('field'); // a method, not an import\n",
      'bench/b.mjs': "const code = \"import('typescript')\"; // inside a string: not an import\n",
    },
  );
  assert.deepEqual(checkWorkspace(dir).sort(), [
    '@x/pkg: declares undici but never imports it',
    '@x/pkg: imports @scope/lib (test/a.test.ts) but does not declare it in package.json',
    '@x/pkg: imports express (test/a.test.ts) but does not declare it in package.json',
    '@x/pkg: src/index.ts imports ws, a devDependency: make it a dependency',
  ]);
});

test('a private harness may declare ahead of use, but never import undeclared', () => {
  const dir = workspace(
    { name: '@x/harness', private: true, dependencies: { later: '1' }, devDependencies: { zod: '1' } },
    { 'src/run.ts': "import { z } from 'zod';\nimport express from 'express';\n" },
  );
  assert.deepEqual(checkWorkspace(dir), ['@x/harness: imports express (src/run.ts) but does not declare it in package.json']);
});
