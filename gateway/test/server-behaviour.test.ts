import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serve, type App, type Environ, type RequestRecord, type ServerOptions } from '@tsgi/gateway';
import { RawConnection, rawExchange } from '@tsgi/test-support';

const enc = new TextEncoder();
const text = (s: string): Uint8Array => enc.encode(s);

async function withServer(app: App, fn: (port: number) => Promise<void>, options: ServerOptions = {}): Promise<void> {
  const running = await serve(app, options);
  try {
    await fn(running.port);
  } finally {
    await running.close(300);
  }
}

function capture(): { lines: string[]; errors: { write(m: string): void; flush(): void } } {
  const lines: string[] = [];
  return { lines, errors: { write: (m: string) => lines.push(m), flush() {} } };
}

describe('reference server: environ', () => {
  test('CGI keys, decoded PATH_INFO, RAW_URI, joined headers', async () => {
    let seen: Environ | undefined;
    const app: App = (environ, sr) => {
      seen = environ;
      sr('200 OK', []);
      return [];
    };
    await withServer(app, async (port) => {
      const reply = await rawExchange(
        port,
        'POST /caf%C3%A9/a%2Fb?x=%20y&z HTTP/1.1\r\nHost: example.org:8080\r\nX-Multi: a\r\nx-multi: b\r\nCookie: a=1\r\nCookie: b=2\r\n' +
          'X_Under: dropped\r\nContent-Type: text/plain\r\nContent-Length: 0\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n',
      );
      assert.equal(reply.status, 200);
    });
    assert.ok(seen);
    assert.equal(seen.REQUEST_METHOD, 'POST');
    assert.equal(seen.SCRIPT_NAME, '');
    assert.equal(seen.PATH_INFO, '/café/a/b');
    assert.equal(seen.RAW_URI, '/caf%C3%A9/a%2Fb?x=%20y&z');
    assert.equal(seen.QUERY_STRING, 'x=%20y&z');
    assert.equal(seen.SERVER_NAME, 'example.org');
    assert.equal(seen.SERVER_PORT, '8080');
    assert.equal(seen.SERVER_PROTOCOL, 'HTTP/1.1');
    assert.equal(seen.REMOTE_ADDR, '127.0.0.1');
    assert.match(String(seen.REMOTE_PORT), /^[0-9]+$/);
    assert.equal(seen.HTTP_X_MULTI, 'a, b');
    assert.equal(seen.HTTP_COOKIE, 'a=1; b=2');
    assert.equal(seen.CONTENT_TYPE, 'text/plain');
    assert.equal(seen.CONTENT_LENGTH, '0');
    assert.equal('HTTP_CONTENT_TYPE' in seen, false);
    assert.equal(Object.keys(seen).some((k) => k.includes('UNDER')), false);
    assert.equal(seen['tsgi.url_scheme'], 'https', 'X-Forwarded-Proto from 127.0.0.1 is trusted by default');
    assert.deepEqual(seen['tsgi.version'], [1, 0]);
  });

  test('an absolute-form target names the host: Host is ignored for SERVER_NAME, SERVER_PORT and HTTP_HOST (RFC 9112 3.2.2)', async () => {
    const seen: Environ[] = [];
    const app: App = (environ, sr) => {
      seen.push(environ);
      sr('200 OK', []);
      return [];
    };
    await withServer(app, async (port) => {
      const reply = await rawExchange(port, 'GET http://a.example:81/x?q=1 HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n');
      assert.equal(reply.status, 200);
      const plain = await rawExchange(port, 'GET /y HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n');
      assert.equal(plain.status, 200);
    });
    const [absolute, origin] = seen;
    assert.ok(absolute && origin);
    assert.equal(absolute.PATH_INFO, '/x');
    assert.equal(absolute.QUERY_STRING, 'q=1');
    assert.equal(absolute.SERVER_NAME, 'a.example');
    assert.equal(absolute.SERVER_PORT, '81');
    assert.equal(absolute.HTTP_HOST, 'a.example:81');
    assert.equal(origin.HTTP_HOST, 'b.example', 'an origin-form target keeps its Host');
  });

  test('X-Forwarded-Proto is ignored from peers outside forwardedAllowIps', async () => {
    let scheme = '';
    const app: App = (environ, sr) => {
      scheme = environ['tsgi.url_scheme'];
      sr('204 No Content', []);
      return [];
    };
    await withServer(
      app,
      async (port) => {
        await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n\r\n');
      },
      { forwardedAllowIps: ['10.0.0.0/8'] },
    );
    assert.equal(scheme, 'http');
  });

  test('a forwardedAllowIps CIDR with a missing or impossible prefix is refused, never read as /0 (everyone)', async () => {
    const noop: App = (_e, sr) => {
      sr('204 No Content', []);
      return [];
    };
    for (const entry of ['10.0.0.0/', '10.0.0.0/33', '::1/129', '10.0.0.0/x']) {
      // Before the fix these started a server trusting every peer; close it so the failure is reported.
      await assert.rejects(async () => (await serve(noop, { port: 0, forwardedAllowIps: [entry] })).close(0), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'GW_ERR_OPTIONS_INVALID');
        assert.ok(err.message.includes(JSON.stringify(entry)), err.message);
        return true;
      });
    }
  });
});

describe('reference server: responses', () => {
  test('streaming: the client has the first chunk before the second is produced', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let secondProduced = false;
    const app: App = (_env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return (async function* () {
        yield text('first;');
        await gate;
        secondProduced = true;
        yield text('second;');
      })();
    };
    await withServer(app, async (port) => {
      const conn = await RawConnection.open(port);
      conn.write('GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.ok(await conn.waitForText('first;'));
      assert.equal(secondProduced, false, 'first chunk arrived before the second was produced');
      release();
      const received = (await conn.readToEnd()).toString('latin1');
      assert.match(received, /Transfer-Encoding: chunked/);
      assert.match(received, /6\r\nfirst;\r\n7\r\nsecond;\r\n0\r\n\r\n$/);
    });
  });

  test('HEAD: same headers as GET, no body, close() still called', async () => {
    let closes = 0;
    const app: App = (_env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      return Object.assign([text('hello world')], { close: () => void closes++ });
    };
    await withServer(app, async (port) => {
      const head = await rawExchange(port, 'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(head.status, 200);
      assert.match(head.text, /Content-Length: 11\r\n/);
      assert.ok(head.text.endsWith('\r\n\r\n'), 'no body bytes after the head');
    });
    assert.equal(closes, 1);
  });

  test('HEAD answered without body bytes or a declared length claims no Content-Length (not 0)', async () => {
    const app: App = (env, sr) => {
      sr('200 OK', [['Content-Type', 'text/plain']]);
      // A HEAD-aware app skips producing the body it would stream for GET.
      return (async function* () {
        if (env.REQUEST_METHOD !== 'HEAD') yield text('streamed body');
      })();
    };
    await withServer(app, async (port) => {
      const head = await rawExchange(port, 'HEAD / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(head.status, 200);
      assert.doesNotMatch(head.text, /Content-Length/i);
      const get = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.match(get.text, /streamed body/);
    });
  });

  test('keep-alive and pipelining: responses come back in order on one connection', async () => {
    const app: App = async (env, sr) => {
      if (env.PATH_INFO === '/slow') await new Promise((r) => setTimeout(r, 50));
      sr('200 OK', []);
      return [text(`path=${env.PATH_INFO};`)];
    };
    await withServer(app, async (port) => {
      const reply = await rawExchange(
        port,
        'GET /slow HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      );
      const bodies = reply.text.match(/path=[^;]+;/g);
      assert.deepEqual(bodies, ['path=/slow;', 'path=/b;', 'path=/c;']);
      assert.equal(reply.text.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
    });
  });

  test('HTTP/1.0: keep-alive only when asked; streamed bodies are close-delimited', async () => {
    const app: App = (_env, sr) => {
      sr('200 OK', []);
      return (function* () {
        yield text('a');
        yield text('b');
      })();
    };
    await withServer(app, async (port) => {
      const reply = await rawExchange(port, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
      assert.equal(reply.status, 200);
      assert.doesNotMatch(reply.text, /Transfer-Encoding/);
      assert.match(reply.text, /Connection: close\r\n\r\nab$/);
      assert.ok(reply.closedByServer);
    });
  });

  test('100-continue: sent when the app first reads, not when it answers without reading', async () => {
    const app: App = async (env, sr) => {
      if (env.PATH_INFO === '/read') {
        const body = await env['tsgi.input'].read();
        sr('200 OK', []);
        return [body];
      }
      sr('403 Forbidden', []);
      return [text('no')];
    };
    await withServer(app, async (port) => {
      const conn = await RawConnection.open(port);
      conn.write('POST /read HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n');
      assert.ok(await conn.waitForText('HTTP/1.1 100 Continue\r\n\r\n'));
      conn.write('hello');
      const received = (await conn.readToEnd()).toString('latin1');
      assert.match(received, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nhello$/);

      const refused = await rawExchange(port, 'POST /no HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
      assert.equal(refused.status, 403);
      assert.doesNotMatch(refused.text, /100 Continue/);
      assert.match(refused.text, /Connection: close/);
    });
  });

  test('excInfo replaces the headers before they are sent', async () => {
    const app: App = (_env, sr) => {
      sr('200 OK', [['X-First', '1']]);
      try {
        throw new Error('boom');
      } catch (err) {
        sr('503 Service Unavailable', [['X-Second', '2']], err);
      }
      return [text('sorry')];
    };
    await withServer(app, async (port) => {
      const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
      assert.equal(reply.status, 503);
      assert.match(reply.text, /X-Second: 2/);
      assert.doesNotMatch(reply.text, /X-First/);
    });
  });

  test('excInfo after headers went out is rethrown and the connection cut (SRV-5)', async () => {
    const log = capture();
    const app: App = (_env, sr) => {
      const write = sr('200 OK', []);
      void write(text('partial'));
      sr('500 Internal Server Error', [], new Error('late failure'));
      return [];
    };
    await withServer(
      app,
      async (port) => {
        const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
        assert.equal(reply.status, 200);
        assert.match(reply.text, /7\r\npartial\r\n$/, 'no terminating chunk: the client sees an incomplete response');
      },
      { errors: log.errors },
    );
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0]!, /SRV-5.*late failure/);
  });

  test('an app that throws before sending gets a 500 and one log line', async () => {
    const log = capture();
    await withServer(
      () => {
        throw new Error('kaput');
      },
      async (port) => {
        const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
        assert.equal(reply.status, 500);
        const again = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
        assert.equal(again.status, 500, 'server still up');
      },
      { errors: log.errors },
    );
    assert.equal(log.lines.length, 2);
    assert.match(log.lines[0]!, /SRV-5.*kaput/);
  });

  test('Content-Length shorter than the body: extra bytes dropped; longer: connection closed (RESP-8)', async () => {
    const log = capture();
    const app: App = (env, sr) => {
      sr('200 OK', [['Content-Length', env.PATH_INFO === '/long' ? '3' : '10']]);
      return (function* () {
        yield text('abcdef');
      })();
    };
    await withServer(
      app,
      async (port) => {
        const long = await rawExchange(port, 'GET /long HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
        assert.ok(long.text.endsWith('\r\n\r\nabc'));
        const short = await rawExchange(port, 'GET /short HTTP/1.1\r\nHost: a\r\n\r\n');
        assert.ok(short.closedByServer);
        assert.ok(short.text.endsWith('\r\n\r\nabcdef'));
      },
      { errors: log.errors },
    );
    assert.equal(log.lines.filter((l) => l.includes('RESP-8')).length, 2);
  });

  test('a 204 or 304 with body bytes (array or streamed): no body on the wire, the connection stays usable, one RESP-10 line each; HEAD drops its body silently', async () => {
    const log = capture();
    const app: App = (env, sr) => {
      sr(env.PATH_INFO === '/304' ? '304 Not Modified' : env.PATH_INFO === '/head' ? '200 OK' : '204 No Content', []);
      return env.QUERY_STRING === 'stream' ? (function* () { yield text('abc'); yield text('def'); })() : [text('abc')];
    };
    await withServer(
      app,
      async (port) => {
        const requests = ['/204', '/204?stream', '/304', '/304?stream'].map((p) => `GET ${p} HTTP/1.1\r\nHost: a\r\n\r\n`).join('');
        const reply = await rawExchange(port, `${requests}HEAD /head?stream HTTP/1.1\r\nHost: a\r\n\r\n`, { stopAfter: 5, head: true });
        assert.deepEqual(reply.responses.map((r) => r.status), [204, 204, 304, 304, 200]);
        assert.doesNotMatch(reply.text, /abc|def/);
      },
      { errors: log.errors },
    );
    assert.equal(log.lines.length, 4, log.lines.join('\n'));
    for (const line of log.lines) assert.match(line, /^TSGI RESP-10 violated: (204|304) response with a 3-byte body; body dropped/);
  });

  test('an app that sets Date gets exactly its own Date (a singleton field); without one the server adds one', async () => {
    const app: App = (env, sr) => {
      sr('200 OK', env.PATH_INFO.startsWith('/own') ? [['date', 'Tue, 01 Dec 2026 00:00:00 GMT']] : []);
      return env.PATH_INFO === '/own-streamed' ? (function* () { yield text('x'); })() : [text('x')];
    };
    await withServer(app, async (port) => {
      for (const path of ['/own', '/own-streamed', '/none']) {
        const reply = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`);
        const dates = reply.text.split('\r\n\r\n')[0]!.split('\r\n').filter((l) => /^date:/i.test(l));
        assert.equal(dates.length, 1, `${path}: ${JSON.stringify(reply.text)}`);
        if (path !== '/none') assert.equal(dates[0], 'date: Tue, 01 Dec 2026 00:00:00 GMT');
      }
    });
  });
});

describe('reference server: close() exactly once (APP-3)', () => {
  test('after the last chunk, on error, and on client abort', async () => {
    const closes: Record<string, number> = { done: 0, error: 0, abort: 0 };
    const records: RequestRecord[] = [];
    let started!: () => void;
    const streaming = new Promise<void>((r) => (started = r));
    const app: App = (env, sr) => {
      const key = env.PATH_INFO.slice(1);
      sr('200 OK', []);
      const body = (async function* () {
        yield text('x');
        if (key === 'error') throw new Error('mid-stream');
        if (key === 'abort') {
          started();
          await new Promise(() => {});
        }
      })();
      return Object.assign(body, { close: () => void (closes[key] = (closes[key] ?? 0) + 1) });
    };
    const log = capture();
    await withServer(
      app,
      async (port) => {
        await rawExchange(port, 'GET /done HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
        await rawExchange(port, 'GET /error HTTP/1.1\r\nHost: a\r\n\r\n');
        const conn = await RawConnection.open(port);
        conn.write('GET /abort HTTP/1.1\r\nHost: a\r\n\r\n');
        await streaming;
        conn.destroy();
        for (let i = 0; i < 200 && closes.abort === 0; i++) await new Promise((r) => setImmediate(r));
      },
      { errors: log.errors, hooks: { onRequestEnd: (r) => records.push(r) } },
    );
    assert.deepEqual(closes, { done: 1, error: 1, abort: 1 });
    assert.equal(records.length, 3);
    assert.equal(records.find((r) => r.environ.PATH_INFO === '/abort')?.aborted, true);
    assert.equal(records.find((r) => r.environ.PATH_INFO === '/done')?.bytesSent, 1);
  });
});

describe('reference server: interface violations → 500 + one log line naming the rule', () => {
  const cases: Array<[string, App]> = [
    ['RESP-1', (_e, sr) => (sr('OK', []), [])],
    ['RESP-1', (_e, sr) => (sr('200OK', []), [])],
    ['RESP-2', (_e, sr) => (sr('200 OK', { a: 'b' } as never), [])],
    ['RESP-2', (_e, sr) => (sr('200 OK', [['X-A', 1]] as never), [])],
    ['RESP-3', (_e, sr) => (sr('200 OK', [['X-A', 'a\r\nSet-Cookie: evil=1']]), [])],
    ['RESP-3', (_e, sr) => (sr('200 OK', [['Bad Name', 'a']]), [])],
    ['RESP-3', (_e, sr) => (sr('200 OK', [['X-A', 'a\0b']]), [])],
    ['RESP-4', (_e, sr) => (sr('200 OK', [['Connection', 'close']]), [])],
    ['RESP-4', (_e, sr) => (sr('200 OK', [['Transfer-Encoding', 'chunked']]), [])],
    ['RESP-5', (_e, sr) => (sr('200 OK', []), sr('200 OK', []), [])],
    ['RESP-7', (_e, sr) => (sr('200 OK', []), ['a string' as never])],
    ['APP-2', (_e, sr) => (sr('200 OK', []), 'a string' as never)],
    ['APP-2', (_e, sr) => (sr('200 OK', []), text('bytes') as never)],
    ['APP-2', (_e, sr) => (sr('200 OK', []), null as never)],
    ['APP-4', () => [text('no start')]],
    ['APP-4', () => []],
  ];
  for (const [rule, app] of cases) {
    test(`${rule}: ${app.toString().slice(0, 70)}`, async () => {
      const log = capture();
      await withServer(
        app,
        async (port) => {
          const reply = await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
          assert.equal(reply.status, 500);
        },
        { errors: log.errors },
      );
      assert.equal(log.lines.length, 1, log.lines.join('\n'));
      assert.match(log.lines[0]!, new RegExp(`^TSGI ${rule} violated`));
    });
  }
});

describe('reference server: hooks and drain()', () => {
  test('onRequestStart, onRequestEnd and onProtocolError fire once each', async () => {
    const events: string[] = [];
    await withServer(
      (_e, sr) => (sr('200 OK', []), [text('x')]),
      async (port) => {
        await rawExchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
        await rawExchange(port, 'GET / HTTP/1.1\r\n\r\n');
      },
      {
        hooks: {
          onRequestStart: (env) => events.push(`start ${env.PATH_INFO}`),
          onRequestEnd: (rec) => events.push(`end ${rec.status} ${rec.bytesSent}`),
          onProtocolError: (info) => events.push(`refused ${info.status} ${info.code}`),
        },
      },
    );
    assert.deepEqual(events, ['start /', 'end 200 1', 'refused 400 GW_ERR_BAD_HOST']);
  });

  test('drain(): in-flight requests finish, new connections are refused, idle keep-alive ones close at their deadline', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let entered!: () => void;
    const inApp = new Promise<void>((r) => (entered = r));
    const running = await serve(
      async (e, sr) => {
        if (e.PATH_INFO === '/slow') {
          entered();
          await gate;
        }
        sr('200 OK', []);
        return [text(`finished ${e.PATH_INFO}`)];
      },
      { keepAliveTimeoutMs: 1000 },
    );
    // A keep-alive connection that served one request and sits idle when the drain starts.
    const kept = await RawConnection.open(running.port);
    kept.write('GET /first HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.ok(await kept.waitForText('finished /first'));
    assert.match(kept.unread.toString('latin1'), /Keep-Alive: timeout=1\r\n/, 'clients are told the idle timeout');

    const busy = rawExchange(running.port, 'GET /slow HTTP/1.1\r\nHost: a\r\n\r\n', { timeoutMs: 5000 });
    await inApp;
    assert.equal(running.server.inFlight, 1);
    const drained = running.server.drain(5000);

    // A request that reaches the idle connection after the drain began is served, not lost, and closes it.
    kept.write('GET /second HTTP/1.1\r\nHost: a\r\n\r\n');
    const keptData = (await kept.readToEnd()).toString('latin1');
    assert.match(keptData, /Connection: close\r\n\r\nfinished \/second$/);

    release();
    const busyReply = await busy;
    assert.equal(busyReply.status, 200);
    assert.match(busyReply.text, /Connection: close\r\n\r\nfinished \/slow$/);
    await drained;
    assert.equal(running.server.inFlight, 0);
    assert.equal(running.server.listening, false);
  });

  test('drain(): an idle keep-alive connection is closed by the server at its idle deadline', async () => {
    const running = await serve((_e, sr) => {
      sr('200 OK', []);
      return [text('ok')];
    }, { keepAliveTimeoutMs: 300 });
    const kept = await RawConnection.open(running.port);
    kept.write('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.ok(await kept.waitFor((unread) => unread.toString('latin1').endsWith('ok')));
    await running.server.drain(5000);
    await kept.waitForClose();
    assert.equal(running.server.listening, false);
  });
});
