import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RULES } from '@tsgi/gateway';

const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8');

test('every rule id of rules.ts has its section in SPEC.md, and SPEC.md defines no other', () => {
  const headings = [...spec.matchAll(/^### ([A-Z]+-\d+)$/gm)].map((m) => m[1]);
  assert.deepEqual([...headings].sort(), Object.keys(RULES).sort());
  assert.equal(new Set(headings).size, headings.length, 'a rule id has two sections');
});

test('every rule id cited anywhere in SPEC.md exists in rules.ts', () => {
  const cited = new Set([...spec.matchAll(/\b(APP|ENV|INPUT|RESP|SRV)-(\d+)\b/g)].map((m) => m[0]));
  for (const id of cited) assert.ok(id in RULES, `SPEC.md cites ${id}, which rules.ts does not define`);
});
