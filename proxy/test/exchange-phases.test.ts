// The exchange's phases and deadlines, driven one step at a time: a fake
// ClientSide records what the client would get, a fake upstream leg decides
// each attempt (refused, or a real connection to a local TCP server), and
// deadlines fire by calling onTimeout at the exchange's own deadline, so no
// test waits for a clock.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { parseRequestHead } from '@tsgi/http1';
import { validateConfig, type ProxyConfig } from '../src/config/config.ts';
import { headLimitsOf } from '../src/config/wire-limits.ts';
import type { ProxyErrorCode } from '../src/errors.ts';
import type { ClientFraming, ClientSide, OutgoingHead } from '../src/exchange/client-side.ts';
import { Exchange } from '../src/exchange/exchange.ts';
import { LengthBody, type RequestBody } from '../src/exchange/request-body.ts';
import type { Leg, LegEvents, LegOpener } from '../src/exchange/upstream-leg.ts';
import type { ClientInfo } from '../src/listener/edge-listener.ts';
import { ErrorAnswers, type LocalAnswer } from '../src/policy/error-answers.ts';
import type { ExchangeRecord, ProxyContext } from '../src/route/proxy-context.ts';
import { BodyBudget } from '../src/upstream/body-shield.ts';
import { UpstreamConnection } from '../src/upstream/upstream-connection.ts';
import { UpstreamGroup } from '../src/upstream/upstream-group.ts';

/** A step that never comes (a socket left open) fails its test in seconds instead of hanging the file. */
const STEP = { timeout: 10_000 };

const INFO: ClientInfo = { address: '192.0.2.7', port: 40000, peerAddress: '192.0.2.7', proxied: null, tls: false, alpn: '', servername: '', tlsProtocol: null, localAddress: '127.0.0.1', localPort: 8080, listener: 0 };

/** What the client would have received, in order. */
class FakeClient implements ClientSide {
  readonly peer = INFO.address;
  readonly info = INFO;
  readonly version = 'h1.1';
  readonly takesRawChunked = true;
  readonly events: string[] = [];
  head: { head: OutgoingHead; framing: ClientFraming; keepAlive: boolean } | null = null;
  body = '';
  answered: { answer: LocalAnswer; close: boolean } | null = null;
  done: { keepAlive: boolean } | null = null;
  private readonly waiters: { what: string; resolve: () => void }[] = [];

  private note(what: string): void {
    this.events.push(what);
    for (const w of this.waiters.filter((x) => x.what === what)) w.resolve();
  }
  /** Resolves once `what` happened (at once if it already did). */
  when(what: string): Promise<void> {
    if (this.events.includes(what)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ what, resolve }));
  }

  sendHead(head: OutgoingHead, framing: ClientFraming, keepAlive: boolean, first: Buffer | null, start: number, end: number): boolean {
    this.head = { head, framing, keepAlive };
    if (first !== null) this.body += first.toString('latin1', start, end);
    this.note('head');
    return true;
  }
  sendBody(buf: Buffer, start: number, end: number): boolean {
    this.body += buf.toString('latin1', start, end);
    this.note('body');
    return true;
  }
  sendRaw(buf: Buffer, start: number, end: number): boolean {
    this.body += buf.toString('latin1', start, end);
    this.note('raw');
    return true;
  }
  endBody(): void {
    this.note('end');
  }
  sendUpgrade(_reason: string, _lines: string, first: Buffer, start: number): void {
    this.body += first.toString('latin1', start);
    this.note('upgrade');
  }
  sendContinue(): void {
    this.note('continue');
  }
  answer(a: LocalAnswer, close: boolean): void {
    this.answered = { answer: a, close };
    this.note('answer');
  }
  refuse(a: LocalAnswer): void {
    this.answered = { answer: a, close: true };
    this.note('refuse');
  }
  cut(): void {
    this.note('cut');
  }
  pauseReading(): void {}
  resumeReading(): void {}
  exchangeDone(keepAlive: boolean): void {
    this.done = { keepAlive };
    this.note('done');
  }
  holdPipelined(): void {}
}

/** A local upstream: each accepted socket is handed to the test, which writes the response itself. */
class Upstream {
  private readonly server: Server;
  private readonly sockets: Socket[] = [];
  private readonly waiting: ((s: Socket) => void)[] = [];
  private readonly all = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((s) => {
      s.on('error', () => {});
      this.all.add(s);
      s.on('close', () => this.all.delete(s));
      const w = this.waiting.shift();
      if (w !== undefined) w(s);
      else this.sockets.push(s);
    });
  }
  async start(): Promise<void> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const addr = this.server.address();
    if (addr === null || typeof addr === 'string') throw new Error('no port');
    this.port = addr.port;
  }
  /** The next accepted connection. */
  accept(): Promise<Socket> {
    const s = this.sockets.shift();
    if (s !== undefined) return Promise.resolve(s);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  /** Bytes a socket receives until they include `until` (then it is paused, still open). */
  static read(s: Socket, until: string): Promise<string> {
    return new Promise((resolve) => {
      let got = '';
      const onData = (chunk: Buffer): void => {
        got += chunk.toString('latin1');
        if (!got.includes(until)) return;
        s.off('data', onData);
        s.pause();
        resolve(got);
      };
      s.on('data', onData);
      s.resume();
    });
  }
  close(): void {
    for (const s of this.all) s.destroy();
    this.server.close();
  }
}

/** The phase's name, read afresh each time (an assertion on `ex.phase.kind` would narrow it for the rest of the test). */
function phaseOf(ex: Exchange): string {
  return ex.phase.kind;
}

/** What the fake leg does on each attempt, in order: refuse the connection, or connect to the upstream. */
type Outcome = 'refused' | 'connect';

/** A leg without balancer or pool: each attempt follows the script; retries are allowed while `retries` lasts. */
class FakeLeg implements Leg {
  conn: UpstreamConnection | null = null;
  endpoint = null;
  attempts = 0;
  readonly calls: string[] = [];

  constructor(
    readonly group: UpstreamGroup,
    private readonly events: LegEvents,
    private readonly port: number,
    private readonly script: Outcome[],
    private retries: number,
  ) {}

  attempt(): void {
    this.calls.push('attempt');
    const outcome = this.script.shift() ?? 'refused';
    this.events.waiting();
    setImmediate(() => {
      if (outcome === 'refused') return this.events.connectFailed('ECONNREFUSED');
      const conn = new UpstreamConnection({ host: '127.0.0.1', port: this.port, pool: { onClosed: () => {}, release: () => this.calls.push('pooled') } });
      this.conn = conn;
      conn.handler = this.events;
      conn.uses++;
      this.events.connected(conn);
    });
  }
  retry(code: ProxyErrorCode, _detail: string, connectFailure: boolean): boolean {
    this.calls.push(`retry ${code} connectFailure=${connectFailure}`);
    this.drop();
    if (this.retries === 0) return false;
    this.retries--;
    this.attempts++;
    this.attempt();
    return true;
  }
  retryOnStatus(): boolean {
    return false;
  }
  stickyCookie(): string {
    return '';
  }
  drop(): void {
    this.calls.push('drop');
    const conn = this.conn;
    this.conn = null;
    if (conn !== null) {
      conn.handler = null;
      conn.socket.destroy();
    }
  }
  release(status: number, reusable: boolean): void {
    this.calls.push(`release ${status} reusable=${reusable}`);
    const conn = this.conn;
    this.conn = null;
    if (conn !== null && !reusable) conn.socket.destroy();
    // A reusable socket would go back to its pool; here it just closes after the test.
    else conn?.socket.end();
  }
  upgrade(): UpstreamConnection | null {
    this.calls.push('upgrade');
    return this.conn;
  }
  lost(): void {
    this.conn = null;
  }
}

describe('the exchange, phase by phase, with a fake client side and a fake leg', () => {
  const upstream = new Upstream();
  let config: ProxyConfig;
  let group: UpstreamGroup;

  before(async () => {
    await upstream.start();
    config = validateConfig(
      {
        upstreams: { app: { servers: ['127.0.0.1:9'], timeouts: { connect: '1s', header: '60s', idle: '600s', tunnelIdle: '4s' } } },
        routes: [{ upstream: 'app' }],
        timeouts: { clientBody: '5s' },
      },
      'test',
    );
    const app = config.upstreams.app;
    if (app === undefined) throw new Error('no app group');
    group = new UpstreamGroup('app', app, { ejected: () => {}, endpointsChanged: () => {}, resolveFailed: () => {} });
  });
  after(() => upstream.close());

  /** One exchange for `head` (+ `rest`, the body bytes that came with it), with the leg following `script`. */
  function exchange(head: string, script: Outcome[], retries = 0, rest: Buffer | null = null) {
    const errors = new ErrorAnswers(false, {});
    const records: ExchangeRecord[] = [];
    const ctx: ProxyContext = {
      config,
      errors,
      route: () => ({ group, edge: { label: 'all', policy: null, maxBodyBytes: undefined, maxHeaderBytes: undefined, compression: null, errors } }),
      isTrusted: () => false,
      draining: false,
      onRecord: (r) => records.push(r),
      onRetry: () => {},
      onEdge: () => {},
      onCompressed: () => {},
      onUpstreamFailure: () => {},
      bodyBudget: new BodyBudget(() => 1 << 20),
      connections: new Set(),
      startSpan: null,
    };
    const bytes = Buffer.from(head, 'latin1');
    const req = parseRequestHead(bytes, 0, bytes.length, headLimitsOf(config.limits));
    const body: RequestBody | null = req.contentLength > 0 ? new LengthBody(req.contentLength) : null;
    const client = new FakeClient();
    let leg: FakeLeg | null = null;
    const openLeg: LegOpener = (_ctx, g, _req, _peer, events) => (leg = new FakeLeg(g, events, upstream.port, script, retries));
    const ex = new Exchange(ctx, client, req, body, rest, req.keepAlive, openLeg);
    ex.start();
    const legOf = (): FakeLeg => {
      if (leg === null) throw new Error('the exchange opened no leg');
      return leg;
    };
    return { ex, client, records, legOf };
  }

  const GET = 'GET /x HTTP/1.1\r\nHost: app.test\r\n\r\n';

  test('no response head within the header timeout: 504, the upstream socket dropped, the client kept', STEP, async () => {
    const { ex, client, records, legOf } = exchange(GET, ['connect']);
    const sock = await upstream.accept();
    assert.match(await Upstream.read(sock, '\r\n\r\n'), /^GET \/x HTTP\/1\.1\r\nHost: app\.test\r\n/);
    assert.equal(phaseOf(ex), 'awaiting-response');
    const closed = once(sock, 'close');
    ex.onTimeout(ex.deadline);
    assert.equal(client.answered?.answer.status, 504);
    assert.equal(client.answered?.close, false, 'the request was complete: the client connection stays');
    assert.deepEqual(client.done, { keepAlive: true });
    assert.equal(records[0]?.error, 'PX_ERR_UPSTREAM_HEADER_TIMEOUT');
    assert.equal(records[0]?.status, 504);
    assert.deepEqual(legOf().calls, ['attempt', 'retry PX_ERR_UPSTREAM_HEADER_TIMEOUT connectFailure=false', 'drop']);
    await closed;
    assert.equal(phaseOf(ex), 'done');
  });

  test('a refused connection is retried, and the next endpoint answers the client', STEP, async () => {
    const { ex, client, records, legOf } = exchange(GET, ['refused', 'connect'], 1);
    const sock = await upstream.accept();
    await Upstream.read(sock, '\r\n\r\n');
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello');
    await client.when('done');
    assert.equal(client.head?.head.status, 200);
    assert.equal(client.head?.framing, 'length');
    assert.equal(client.body, 'hello');
    assert.deepEqual(client.done, { keepAlive: true });
    assert.equal(client.answered, null, 'no error answer');
    assert.deepEqual(legOf().calls, ['attempt', 'retry PX_ERR_UPSTREAM_CONNECT connectFailure=true', 'drop', 'attempt', 'release 200 reusable=true']);
    assert.equal(records[0]?.status, 200);
    assert.equal(records[0]?.attempts, 2);
    assert.equal(records[0]?.bytesOut, 5);
    assert.equal(phaseOf(ex), 'done');
  });

  test('refused with no retry left: 502 naming nothing internal', STEP, async () => {
    const { client, records } = exchange(GET, ['refused'], 0);
    await client.when('answer');
    assert.equal(client.answered?.answer.status, 502);
    assert.doesNotMatch(client.answered?.answer.body ?? '', /ECONNREFUSED/);
    assert.equal(records[0]?.error, 'PX_ERR_UPSTREAM_CONNECT');
    assert.equal(records[0]?.detail, 'ECONNREFUSED');
  });

  test('the client goes away mid-relay: the upstream socket is destroyed, never pooled, and the record says 499', STEP, async () => {
    const { ex, client, records, legOf } = exchange(GET, ['connect']);
    const sock = await upstream.accept();
    await Upstream.read(sock, '\r\n\r\n');
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nfirst bytes');
    await client.when('head');
    assert.equal(phaseOf(ex), 'relaying');
    assert.equal(client.body, 'first bytes');
    const closed = once(sock, 'close');
    ex.clientClosed();
    await closed;
    assert.equal(phaseOf(ex), 'done');
    assert.deepEqual(legOf().calls, ['attempt', 'drop']);
    assert.equal(records[0]?.status, 499);
    assert.equal(records[0]?.error, 'PX_ERR_CLIENT_ABORT');
    assert.equal(client.done, null, 'nothing more is said to a client that is gone');
  });

  test('a body that stalls before it is all here: 408 and close, and no upstream connection was ever taken', STEP, () => {
    const { ex, client, records, legOf } = exchange('POST /upload HTTP/1.1\r\nHost: app.test\r\nContent-Length: 10\r\n\r\n', ['connect'], 0, Buffer.from('0123'));
    assert.equal(phaseOf(ex), 'reading-body');
    ex.onTimeout(ex.deadline);
    assert.equal(client.answered?.answer.status, 408);
    assert.equal(client.answered?.close, true);
    assert.deepEqual(client.done, { keepAlive: false });
    assert.equal(records[0]?.error, 'PX_ERR_BODY_TIMEOUT');
    assert.deepEqual(legOf().calls, ['drop'], 'the leg was opened, never asked for a connection');
  });

  test('a tunnel passes bytes both ways until its idle deadline, then closes both sides', STEP, async () => {
    const { ex, client, records, legOf } = exchange('GET /ws HTTP/1.1\r\nHost: app.test\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n', ['connect']);
    const sock = await upstream.accept();
    assert.match(await Upstream.read(sock, '\r\n\r\n'), /\r\nUpgrade: websocket\r\n/);
    sock.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nfrom-upstream');
    await client.when('upgrade');
    assert.equal(phaseOf(ex), 'tunnel');
    assert.equal(records[0]?.status, 101);
    ex.requestData(Buffer.from('from-client'));
    assert.equal(await Upstream.read(sock, 'from-client'), 'from-client');
    const deadline = ex.deadline;
    sock.write('more');
    await client.when('raw');
    assert.ok(ex.deadline >= deadline, 'a byte moves the idle deadline on');
    assert.equal(client.body, 'from-upstreammore');
    const closed = once(sock, 'close');
    ex.onTimeout(ex.deadline);
    await closed;
    assert.ok(client.events.includes('cut'), 'the client side is closed too');
    assert.deepEqual(legOf().calls, ['attempt', 'upgrade']);
  });

  test('each waiting phase arms its own timeout (connect 1 s, header 60 s, relay idle 600 s), and a stall after the head cuts', STEP, async () => {
    // The three timeouts are far apart, so how far off the deadline is tells which one is armed.
    const left = (ex: Exchange): number => ex.deadline - Date.now();
    const { ex, client } = exchange(GET, ['connect']);
    assert.equal(phaseOf(ex), 'waiting-upstream');
    assert.ok(left(ex) <= 1000, `connect: ${left(ex)} ms left`);
    const sock = await upstream.accept();
    await Upstream.read(sock, '\r\n\r\n');
    assert.equal(phaseOf(ex), 'awaiting-response');
    assert.ok(left(ex) > 30_000 && left(ex) <= 60_000, `header: ${left(ex)} ms left`);
    sock.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na');
    await client.when('head');
    assert.equal(phaseOf(ex), 'relaying');
    assert.ok(left(ex) > 300_000 && left(ex) <= 600_000, `idle: ${left(ex)} ms left`);
    const closed = once(sock, 'close');
    ex.onTimeout(ex.deadline);
    await closed;
    assert.ok(client.events.includes('cut'), 'a stalled body after the head is cut, never completed');
  });
});
