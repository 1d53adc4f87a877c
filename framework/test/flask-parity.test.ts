import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serve } from '@tsgi/gateway';
import { startProcess, type ReadyProcess } from '@tsgi/test-support';
import { app } from './fixtures/parity/parity-app.js';
import { CASES, type ParityRequest } from './parity-cases.js';

/**
 * Flask 3.1 and the framework side by side: the same app written twice
 * (fixtures/parity/parity_app.py and parity-app.ts), the same requests to
 * both over real sockets, status, the headers that matter and bodies
 * compared. At least 100 behaviours, at least 95 % agreeing; every
 * disagreement must be listed in framework/README.md's "differs from Flask"
 * table, and every row of that table must still differ (the table stays honest).
 */
const fixtures = fileURLToPath(new URL('./fixtures/parity/', import.meta.url));
const readme = fileURLToPath(new URL('../README.md', import.meta.url));
// The table is written against Flask 3.1: use the first interpreter that has it (pyenv's python3,
// Debian 13's /usr/bin/python3); Debian 12's python3-flask is 2.2 and answers differently.
const WANTED = [3, 1];
const home = process.env['HOME'] ?? '/root';
const candidates = [process.env['TSGI_PYTHON'], 'python3', `${home}/.pyenv/shims/python3`, '/usr/bin/python3', '/usr/local/bin/python3'].filter((p): p is string => Boolean(p));
const found = candidates.map((python) => ({ python, probe: spawnSync(python, ['-c', 'import flask, importlib.metadata as m; print(m.version("flask"))'], { encoding: 'utf8' }) }));
const usable = found.find(({ probe }) => probe.status === 0 && atLeast(probe.stdout.trim(), WANTED));
const python = usable?.python ?? 'python3';
const flaskVersion = usable?.probe.stdout.trim() ?? '';
const seen = found.map(({ python: p, probe }) => `${p}: ${probe.status === 0 ? `Flask ${probe.stdout.trim()}` : 'no Flask'}`).join(', ');
const skip = usable === undefined ? `needs python3 with Flask >= ${WANTED.join('.')} (found ${seen}); set TSGI_PYTHON or pip install "flask>=3.1"` : false;

function atLeast(version: string, wanted: readonly number[]): boolean {
  const parts = version.split('.').map(Number);
  for (let i = 0; i < wanted.length; i++) if ((parts[i] ?? 0) !== wanted[i]) return (parts[i] ?? 0) > wanted[i]!;
  return true;
}

const COMPARED_HEADERS = ['content-type', 'location', 'allow', 'cache-control', 'content-range', 'content-disposition', 'content-encoding', 'accept-ranges', 'etag', 'last-modified', 'vary', 'x-after', 'x-extra', 'x-triple'];

interface Seen {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The Flask side: parity_app.py prints "PORT <n>" once it listens on a free port. */
function startFlask(): Promise<ReadyProcess> {
  return startProcess(python, ['parity_app.py'], { cwd: fixtures, ready: /PORT (\d+)/, timeoutMs: 60_000 });
}

function send(port: number, step: ParityRequest, cookies: Map<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const headers: Record<string, string | string[]> = { ...step.headers };
  if (cookies.size > 0 && headers['Cookie'] === undefined) headers['Cookie'] = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  if (step.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(step.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: step.method ?? 'GET', path: step.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(step.body);
  });
}

/** Keeps what later steps send back; a cookie set to expire is dropped. */
function remember(cookies: Map<string, string>, setCookie: string[] | undefined): void {
  for (const line of setCookie ?? []) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq);
    if (/Max-Age=0|Expires=Thu, 01 Jan 1970/.test(line)) cookies.delete(name);
    else cookies.set(name, pair.slice(eq + 1));
  }
}

/** A Set-Cookie line with what cannot match removed: the session signature (different schemes) and the exact Expires time. */
function normaliseCookie(line: string): string {
  return line
    .split('; ')
    .map((part, i) => {
      if (i === 0) return part.startsWith('session=') && part !== 'session=' ? 'session=<signed>' : part;
      if (part.startsWith('Expires=') && !part.includes('1970')) return Number.isNaN(Date.parse(part.slice(8))) ? part : 'Expires=<date>';
      return part;
    })
    .join('; ');
}

async function observe(port: number, steps: readonly ParityRequest[]): Promise<Seen> {
  const cookies = new Map<string, string>();
  let last: Awaited<ReturnType<typeof send>> | undefined;
  for (const step of steps) {
    last = await send(port, step, cookies);
    remember(cookies, last.headers['set-cookie']);
  }
  const origin = `127.0.0.1:${port}`;
  const headers: Seen['headers'] = {};
  for (const name of COMPARED_HEADERS) {
    const value = last!.headers[name];
    if (value === undefined) continue;
    headers[name] = name === 'allow' ? String(value).split(', ').sort().join(', ') : String(value).split(origin).join('HOST');
  }
  const setCookie = last!.headers['set-cookie'];
  if (setCookie) headers['set-cookie'] = setCookie.map(normaliseCookie);
  return { status: last!.status, headers, body: last!.body.toString('latin1').split(origin).join('HOST') };
}

/** Case names listed in the README's "differs from Flask" table (first column, in backticks). */
function documentedDifferences(): Set<string> {
  const text = readFileSync(readme, 'utf8');
  const start = text.indexOf('## Differs from Flask');
  assert.notEqual(start, -1, 'framework/README.md has a "Differs from Flask" section');
  const section = text.slice(start, text.indexOf('\n## ', start + 5) === -1 ? undefined : text.indexOf('\n## ', start + 5));
  const names = new Set<string>();
  for (const match of section.matchAll(/^\| `([^`]+)` \|/gm)) names.add(match[1]!);
  return names;
}

test('Flask 3.1 and the framework answer the same app alike (status, headers, bodies)', { skip, timeout: 120_000 }, async (t) => {
  const flask = await startFlask();
  t.after(() => flask.stop());
  const ours = await serve(app, { port: 0 });
  t.after(() => ours.close());
  const differences: string[] = [];
  const details: string[] = [];
  for (const parityCase of CASES) {
    const expected = await observe(flask.port, parityCase.steps);
    const actual = await observe(ours.port, parityCase.steps);
    try {
      assert.deepEqual(actual, expected);
    } catch {
      differences.push(parityCase.name);
      details.push(`${parityCase.name}:\n  flask: ${JSON.stringify(expected)}\n  ours:  ${JSON.stringify(actual)}`);
    }
  }
  const total = CASES.length;
  const agree = total - differences.length;
  t.diagnostic(`parity: ${total} behaviours, ${agree} agree with Flask ${flaskVersion} (${python})`);
  assert.equal(new Set(CASES.map((c) => c.name)).size, total, 'case names are unique');
  assert.ok(total >= 100, `at least 100 behaviours (got ${total})`);
  const documented = documentedDifferences();
  const undocumented = differences.filter((name) => !documented.has(name));
  assert.deepEqual(undocumented, [], `disagreements missing from README's "differs from Flask" table:\n${details.filter((d) => undocumented.some((n) => d.startsWith(`${n}:`))).join('\n')}`);
  const stale = [...documented].filter((name) => !differences.includes(name));
  assert.deepEqual(stale, [], 'rows of the "differs from Flask" table that agree now (remove them)');
  assert.ok(agree / total >= 0.95, `at least 95 % agree (got ${agree}/${total})`);
});
