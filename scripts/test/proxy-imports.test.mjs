import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { allowedDirections, checkProxyImports } from '../check-proxy-imports.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

test('every import under proxy/src follows the directions in proxy/README.md', () => {
  const allowed = allowedDirections(readFileSync(join(ROOT, 'proxy', 'README.md'), 'utf8'));
  assert.ok(allowed.has('exchange') && allowed.has('codec'), 'the table names the concern folders');
  assert.deepEqual(checkProxyImports(join(ROOT, 'proxy', 'src'), allowed), []);
});

/** @param {Record<string, string>} files */
function tree(files) {
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-imports-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const README = `# x

### Import directions

| folder | may import |
|---|---|
| \`codec/\` | \`exchange/\` |
| \`exchange/\` | nothing |

## Next section
| \`exchange/\` | \`codec/\` |
`;

test('the check names an edge against the table (type-only too), a shared file importing a folder, and a folder the table lacks', () => {
  const allowed = allowedDirections(README);
  assert.deepEqual([...allowed.keys()], ['codec', 'exchange'], 'rows after the next heading are not read');
  const dir = tree({
    'codec/h1.ts': "import { Exchange } from '../exchange/exchange.js';\nimport { x } from '../errors.js';\n",
    'exchange/exchange.ts': "import type { H1 } from '../codec/h1.js';\nimport { y } from './phase.js';\n",
    'exchange/phase.ts': '',
    'errors.ts': "import { z } from './exchange/phase.js';\n",
    'index.ts': "export { Exchange } from './exchange/exchange.js';\nexport { Leg } from './upstream/leg.js';\n",
    'upstream/leg.ts': "import { Exchange } from '../exchange/exchange.js';\n",
  });
  assert.deepEqual(checkProxyImports(dir, allowed).sort(), [
    'proxy/src/errors.ts imports ./exchange/phase.js: files directly in src/ import no concern folder',
    'proxy/src/exchange/exchange.ts imports ../codec/h1.js: exchange/ may not import codec/ (proxy/README.md, "Import directions")',
    'proxy/src/upstream/ is not in proxy/README.md\'s "Import directions" table',
  ]);
});

test('a README without the section is an error, not a pass', () => {
  assert.throws(() => allowedDirections('# x\n\nno table here\n'), /no "Import directions" section/);
});
