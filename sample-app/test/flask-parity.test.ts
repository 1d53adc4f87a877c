import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { serve } from '@tsgi/gateway';
import { startProcess, type ReadyProcess } from '@tsgi/test-support';
import { app } from '../src/app.js';

const gunicorn = spawnSync('gunicorn', ['--version'], { encoding: 'utf8' });
const skip = gunicorn.error ? 'gunicorn is not installed (Debian: apt-get install gunicorn python3-flask)' : false;
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** Starts the seed's Flask app under gunicorn on a free port; ready when it logs "Listening at". */
function startGunicorn(): Promise<ReadyProcess> {
  return startProcess('gunicorn', ['--bind', '127.0.0.1:0', '--workers', '1', '--chdir', fixtures, 'flask_app:app'], {
    ready: /Listening at: http:\/\/127\.0\.0\.1:(\d+)/,
    timeoutMs: 60_000,
  });
}

interface Seen {
  status: number;
  body: string;
  contentType: string | null;
  contentLength: string | boolean | null;
  location: string | null;
  allow: string[] | null;
}

async function observe(base: string, method: string, path: string): Promise<Seen> {
  const response = await fetch(base + path, { method, redirect: 'manual' });
  const origin = new URL(base).host;
  const normalise = (text: string) => text.split(origin).join('HOST').replace(/Hello from Flask/g, 'Hello from TSGI');
  const bytes = Buffer.from(await response.arrayBuffer());
  const body = normalise(bytes.toString('utf8'));
  const location = response.headers.get('location');
  const length = response.headers.get('content-length');
  return {
    status: response.status,
    body,
    contentType: response.headers.get('content-type'),
    // Bodies differ in length by the host and the title word, so check that Content-Length is
    // exact for each server (and, for HEAD, that it is the GET body's length, equal on both).
    contentLength: method === 'HEAD' ? length : length === null ? null : Number(length) === bytes.length,
    location: location && normalise(location),
    allow: response.headers.get('allow')?.split(', ').sort() ?? null,
  };
}

const CASES: Array<[string, string]> = [
  ['GET', '/'],
  ['HEAD', '/'],
  ['OPTIONS', '/'],
  ['POST', '/'],
  ['GET', '/post/3'],
  ['GET', '/post/0'],
  ['GET', '/post/abc'],
  ['GET', '/post/-1'],
  ['GET', '/post/3/'],
  ['GET', '/post/'],
  ['DELETE', '/post/3'],
  ['GET', '/hello'],
  ['GET', '/hello?x=1'],
  ['GET', '/hello/'],
  ['GET', '/hello/World'],
  ['GET', '/hello/a%20b'],
  ['GET', "/hello/%3Cscript%3Ealert('x%22')%3C%2Fscript%3E"],
  ['GET', '/hello/World/'],
  ['GET', '/nope'],
  ['PUT', '/hello/'],
];

test('the seed routes answer exactly as the same Flask app under gunicorn', { skip }, async (t) => {
  const flask = await startGunicorn();
  t.after(() => flask.stop());
  const ours = await serve(app, { port: 0 });
  t.after(() => ours.close());
  const flaskBase = `http://127.0.0.1:${flask.port}`;
  const oursBase = `http://127.0.0.1:${ours.port}`;
  for (const [method, path] of CASES) {
    const expected = await observe(flaskBase, method, path);
    const actual = await observe(oursBase, method, path);
    assert.deepEqual(actual, expected, `${method} ${path}`);
  }
});
