import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { test } from 'node:test';
import { endpointView, basicConfig, get, startProxy, startUpstream, until, upstreamStats, getStatus } from './helpers.ts';

test('a hanging upstream gets 504 naming the header timeout (with debug: true)', async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port], 'debug: true', 'timeouts: { header: 400ms }'));
  try {
    const r = await get(proxy.port, '/hang');
    assert.equal(r.status, 504);
    assert.equal(r.headers['x-proxy-error'], 'PX_ERR_UPSTREAM_HEADER_TIMEOUT');
    assert.match(r.body, /upstream header timeout/);
    // A timeout is not retried: the request may be running upstream.
    assert.equal((await upstreamStats(up.port)).requests, 1);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});

test('an upstream reset mid-response cuts the client connection (no complete-looking 200)', async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port]));
  try {
    const outcome = await new Promise<{ status: number; bytes: number; complete: boolean; error: string | null }>((resolve) => {
      const req = request({ host: '127.0.0.1', port: proxy.port, path: '/reset', agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (d: Buffer) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete, error: null }));
        res.on('error', (e) => resolve({ status: res.statusCode ?? 0, bytes, complete: res.complete, error: e.message }));
        res.on('aborted', () => resolve({ status: res.statusCode ?? 0, bytes, complete: false, error: 'aborted' }));
      });
      req.on('error', (e) => resolve({ status: 0, bytes: 0, complete: false, error: e.message }));
      req.end();
    });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.complete, false);
    assert.ok(outcome.bytes < 100_000, `got ${outcome.bytes} bytes`);
    assert.equal((await get(proxy.port, '/echo')).status, 200);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});

test('retry budget: with every endpoint failing, retries stay a bounded fraction (no retry storm)', async () => {
  const a = await startUpstream();
  const b = await startUpstream();
  // Ejection off so every request reaches an upstream; budget 20% + 1/s over the 10 s window.
  const proxy = await startProxy(
    basicConfig([a.port, b.port], '', 'retries: { attempts: 3, budget: 0.2, minPerSecond: 1 }\npassive: { maxFails: 0 }'),
  );
  try {
    const N = 200;
    const agent = new Agent({ keepAlive: true, maxSockets: 10 });
    let fiveHundreds = 0;
    await Promise.all(
      Array.from({ length: N }, () =>
        new Promise<void>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: proxy.port, path: '/status?code=503', agent }, (res) => {
            if ((res.statusCode ?? 0) >= 500) fiveHundreds++;
            res.resume();
            res.on('end', () => resolve());
          });
          req.on('error', reject);
          req.end();
        }),
      ),
    );
    agent.destroy();
    const seen = (await upstreamStats(a.port)).requests + (await upstreamStats(b.port)).requests;
    assert.equal(fiveHundreds, N);
    // Without a budget 3 retries would mean up to 4N upstream requests.
    assert.ok(seen <= N * 1.2 + 10 + 1, `upstreams saw ${seen} requests for ${N}`);
    assert.ok(seen > N, 'some retries happened while the budget lasted');
  } finally {
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});

test('kill -9 of one of two upstreams under a GET loop: zero failed GETs, ejected, re-admitted after restart', async () => {
  const a = await startUpstream();
  let b = await startUpstream();
  const bPort = b.port;
  const proxy = await startProxy(basicConfig([a.port, bPort], '', 'passive: { maxFails: 1, ejectBase: 300ms, ejectMax: 2s }'));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let sent = 0;
  let failed = 0;
  const getOnce = async () => {
    sent++;
    if ((await getStatus(proxy.port, '/echo', agent)) !== 200) failed++;
  };
  let stop = false;
  const deadline = Date.now() + 20_000;
  const loop = (async () => {
    while (!stop && sent < 20_000 && Date.now() < deadline) await Promise.all([getOnce(), getOnce(), getOnce(), getOnce()]);
  })();
  try {
    await until(() => sent > 200, 10_000, 'load to start');
    await b.kill('SIGKILL');
    const bId = `127.0.0.1:${bPort}`;
    const stateOf = async () => endpointView(proxy.admin!, 'app', bId);
    await until(async () => (await stateOf()).ejections > 0, 10_000, 'the dead endpoint to be ejected');
    const before = sent;
    await until(() => sent > before + 200, 10_000, 'more load while it is down');
    b = await startUpstream(bPort);
    await until(async () => (await upstreamStats(bPort)).requests > 20, 15_000, 'the restarted endpoint to get traffic again');
    assert.equal((await stateOf()).state, 'healthy');
    stop = true;
    await loop;
    assert.equal(failed, 0, `${failed} of ${sent} GETs failed`);
  } finally {
    stop = true;
    await loop;
    agent.destroy();
    await proxy.kill();
    await a.kill();
    await b.kill();
  }
});

/**
 * Sends a POST head with Content-Length 100, then drips its body one byte every 100 ms (each byte well inside
 * the client idle timeout of 60 s; the whole body would take 10 s) until the proxy closes the connection.
 */
async function dripBodyUntilClosed(port: number, path: string): Promise<{ ms: number; reply: string }> {
  const { connect } = await import('node:net');
  const sock = connect(port, '127.0.0.1');
  try {
    await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
    const started = Date.now();
    sock.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n`);
    const drip = setInterval(() => sock.writable && sock.write('a'), 100);
    let reply = '';
    sock.on('data', (d: Buffer) => (reply += d.toString('latin1')));
    await new Promise<void>((resolve) => sock.once('close', () => resolve()).once('error', () => resolve()));
    clearInterval(drip);
    return { ms: Date.now() - started, reply };
  } finally {
    sock.destroy();
  }
}

test('a request body dripped byte by byte cannot outlast the upstream total timeout', async () => {
  const up = await startUpstream();
  const proxy = await startProxy(basicConfig([up.port], '', 'timeouts: { total: 800ms }'));
  try {
    const { ms, reply } = await dripBodyUntilClosed(proxy.port, '/echo');
    assert.ok(ms < 5000, `the proxy held the dripping request for ${ms} ms past its 800 ms total timeout`);
    if (reply !== '') assert.match(reply, /^HTTP\/1\.1 504 /);
  } finally {
    await proxy.kill();
    await up.kill();
  }
});

test('once the response relays, a client still sending its body does not keep a stalled upstream alive', async () => {
  const { createServer } = await import('node:net');
  // Answers the head and 5 of 100 body bytes at once, then stalls, never reading the request body.
  const stalled = createServer((s) => {
    s.once('data', () => s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst'));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
  const upPort = (stalled.address() as { port: number }).port;
  // bufferSize 0: this body streams (a held one would reach the upstream only once complete).
  const proxy = await startProxy(basicConfig([upPort], 'requestBody: { bufferSize: 0 }', 'timeouts: { idle: 400ms }'));
  try {
    const { ms, reply } = await dripBodyUntilClosed(proxy.port, '/upload');
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.ok(reply.endsWith('first'), 'the response is cut after the bytes the upstream sent');
    assert.ok(ms < 4000, `the upstream stalled for ${ms} ms past its 400 ms idle timeout while the client dripped its body`);
  } finally {
    await proxy.kill();
    await new Promise((resolve) => stalled.close(resolve));
  }
});
