import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// Node private fields a package has used, and may use only inside its node-internals.ts (with a test on Node 22 and 24).
const PRIVATE_FIELDS = /(\.|\[['"])(_header|_sent100|_headers|_headerSent|_handle|_httpMessage|_parent|_server|secureConnecting)\b/;

/** @param {string} dir @returns {string[]} */
function sources(dir) {
  /** @type {string[]} */
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...sources(full));
    else if (/\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

test("Node's private fields are touched only in each package's node-internals.ts", () => {
  /** @type {{ workspaces: string[] }} */
  const { workspaces } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  /** @type {string[]} */
  const offenders = [];
  for (const ws of workspaces) {
    let files;
    try {
      files = sources(join(ROOT, ws, 'src'));
    } catch {
      continue;
    }
    for (const file of files) {
      if (file.endsWith('node-internals.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          if (PRIVATE_FIELDS.test(line.replace(/\/\/.*$/, ''))) offenders.push(`${relative(ROOT, file)}:${i + 1}: ${line.trim()}`);
        });
    }
  }
  assert.deepEqual(offenders, []);
});
