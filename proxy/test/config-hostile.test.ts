import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './helpers.ts';

// A config file that is hostile or simply wrong gets one line on stderr and exit 2 from `tsgi-proxy --check-config`,
// never a stack trace, a stderr warning block, a line megabytes long, or a silent misreading of its bytes.

const dir = mkdtempSync(join(tmpdir(), 'tsgi-proxy-hostile-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const GOOD = 'upstreams: { app: { servers: ["127.0.0.1:9"] } }\nroutes: [{ upstream: app }]\n';

function aliasBomb(): string {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i <= 9; i++) lines.push(`l${i}: &l${i} [${Array(10).fill(i === 1 ? '*a' : `*l${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n${GOOD}`;
}

/** [what, file name, contents, the one line expected on stderr (`FILE` stands for the path)]. */
const CASES: [string, string, string | Buffer | null, RegExp][] = [
  // Crashed with "RangeError: Maximum call stack size exceeded" and a stack trace (exit 1): the value was stringified whole.
  ['a value nested too deeply to show', 'deep.json', `{"upstreams":{"app":{"servers":["127.0.0.1:9"]}},"routes":[{"upstream":"app"}],"workers":${'['.repeat(20000)}${']'.repeat(20000)}}`, /^config: workers must be a number, got a value nested too deeply to show \(from FILE:1\)$/],
  // Printed all 5 MB of it.
  ['a huge bad value', 'big.yaml', `${GOOD}logLevel: "${'x'.repeat(5_000_000)}"\n`, /^config: logLevel must be one of .*, got "x{119}\.\.\. \(5000002 characters\) \(from FILE:3\)$/],
  // Was parsed (seconds, hundreds of MB) and accepted.
  ['a file over 16 MiB', 'over.yaml', `${GOOD}${`# ${'x'.repeat(1000)}\n`.repeat(17_000)}`, /^config: FILE is over 16 MiB; a config file is at most that$/],
  // Was read with U+FFFD in place of the bytes, and accepted.
  ['bytes that are not UTF-8', 'latin1.yaml', Buffer.from(`${GOOD}# caf\xe9\n`, 'latin1'), /^config: FILE is not UTF-8 text: byte 0xe9 at line 3$/],
  ['UTF-16 text', 'utf16.yaml', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')]), /^config: FILE is UTF-16 text; save it as UTF-8$/],
  // Printed a multi-line YAMLWarning on stderr, then judged the tag's text as the value.
  ['an unknown YAML tag', 'tag.yaml', 'upstreams: !!js/function "function(){}"\nroutes: [{ upstream: app }]\n', /^config: FILE is not valid YAML: Unresolved tag: tag:yaml\.org,2002:js\/function at line 1, column 12$/],
  ['a YAML nested too deeply for the parser', 'deep.yaml', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, /^config: FILE is not valid YAML: nested too deeply$/],
  // These already gave one line; they stay that way.
  ['an alias bomb (billion laughs)', 'bomb.yaml', aliasBomb(), /^config: FILE is not valid YAML: Excessive alias count indicates a resource exhaustion attack$/],
  ['a YAML list', 'list.yaml', '- a\n- b\n', /^config: FILE must hold a mapping \(key: value\) at the top level, got a list$/],
  ['an empty file', 'empty.yaml', '', /^config: FILE must hold a mapping \(key: value\) at the top level, got nothing$/],
  ['a directory', 'adir.yaml', null, /^config: cannot read config file FILE: EISDIR \(a directory, not a file\)$/],
];

describe('hostile config files: one line, exit 2', () => {
  for (const [what, name, contents, expected] of CASES) {
    test(what, { timeout: 60_000 }, async () => {
      const file = join(dir, name);
      if (contents === null) mkdirSync(file);
      else writeFileSync(file, contents);
      const r = await runCli(['--config', file, '--check-config']);
      assert.equal(r.code, 2, r.stderr.slice(0, 2000));
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.endsWith('\n') && r.stderr.indexOf('\n') === r.stderr.length - 1, `one line: ${r.stderr.slice(0, 2000)}`);
      assert.match(r.stderr.trimEnd(), new RegExp(expected.source.replaceAll('FILE', file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))));
    });
  }

  test('what such files get right is still accepted: a BOM (YAML and JSON), UTF-8 names, YAML merge keys', async () => {
    const cases: [string, string | Buffer][] = [
      ['bom.yaml', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GOOD)])],
      ['bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"upstreams":{"app":{"servers":["127.0.0.1:9"]}},"routes":[{"upstream":"app"}]}')])],
      ['utf8.yaml', `${GOOD}# café ☕\n`],
      // Before, `<<` was a key like any other: "upstreams.app.servers is required".
      ['merge.yaml', 'upstreams:\n  app: &base { servers: ["127.0.0.1:9"], balance: least_conn }\n  api: { <<: *base, balance: p2c }\nroutes: [{ upstream: app }, { upstream: api, path: /api }]\n'],
    ];
    for (const [name, contents] of cases) {
      const file = join(dir, name);
      writeFileSync(file, contents);
      const r = await runCli(['--config', file, '--check-config']);
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      if (name === 'merge.yaml') assert.match(r.stdout, /upstream api: p2c, 127\.0\.0\.1:9/);
    }
  });
});
