import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromFetch, type App } from '@tsgi/gateway';
import { dispatcher } from '@tsgi/middleware';
import { bytes, checked, request, start } from './helpers/raw-http.ts';

function named(name: string): App {
  return (e, sr) => {
    sr('200 OK', [['Content-Type', 'text/plain']]);
    return [bytes(`${name} script=${e.SCRIPT_NAME} path=${e.PATH_INFO}`)];
  };
}

describe('dispatcher', () => {
  test('longest prefix on a segment boundary; the prefix moves to SCRIPT_NAME', async (t) => {
    const violations: string[] = [];
    const s = await start(t, dispatcher(
      { '/api': checked(named('api'), violations), '/api/v2': checked(named('v2'), violations) },
      checked(named('root'), violations),
    ));
    const cases: Array<[string, string]> = [
      ['/api', 'api script=/api path='],
      ['/api/', 'api script=/api path=/'],
      ['/api/users/7', 'api script=/api path=/users/7'],
      ['/api/v2/x', 'v2 script=/api/v2 path=/x'],
      ['/api/v22', 'api script=/api path=/v22'],
      ['/apix', 'root script= path=/apix'],
      ['/', 'root script= path=/'],
    ];
    for (const [path, want] of cases) assert.equal((await request(s.port, path)).body.toString(), want, path);
    assert.deepEqual(violations, []);
  });

  test('unmatched paths get 404 without a fallback', async (t) => {
    const s = await start(t, dispatcher({ '/a': named('a') }));
    assert.equal((await request(s.port, '/b')).status, 404);
  });

  test('a Hono-style fetch app mounts beside a TSGI app', async (t) => {
    const fetchApp = fromFetch(async (req: Request) => new Response(`fetch saw ${new URL(req.url).pathname}`, { headers: { 'content-type': 'text/plain' } }));
    const s = await start(t, dispatcher({ '/hono': fetchApp }, named('main')));
    const r = await request(s.port, '/hono/hello');
    assert.equal(r.status, 200);
    // A fetch Request carries the full URL (SCRIPT_NAME + PATH_INFO), as the client sent it;
    // a mounted Hono app uses basePath('/hono') or app.route('/hono', sub) to match it.
    assert.equal(r.body.toString(), 'fetch saw /hono/hello');
    assert.equal((await request(s.port, '/other')).body.toString(), 'main script= path=/other');
  });
});
