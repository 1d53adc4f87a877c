import { Server as HttpServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { reasonPhrase, serializeErrorAnswer } from '@tsgi/http1';
import type { Logger } from 'pino';
import type { AppHooks } from './app-loader.js';
import { GracefulDrain } from './graceful-drain.js';
import { limitedRequestClass, type BodyLimited } from './limited-request.js';
import { serializedHeader } from './node-internals.js';
import type { RequestObserver } from './request-observer.js';
import { routeOfNodeRequest } from './node-route.js';
import { UpgradedConnections, wantsWebSocket } from './upgraded-connections.js';

export interface NodeHostLimits {
  requestLine: number;
  fields: number;
  fieldSize: number;
  body: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
}

/** The node-interface app a worker hosts. */
export interface NodeApp {
  listener: RequestListener;
  /** A framework's own server whose `upgrade` listeners take our upgrades (Fastify's, for @fastify/websocket). */
  upgradeServer?: HttpServer;
  hooks: AppHooks;
}

/**
 * A node:http server whose request, 100-continue and upgrade events pass
 * through the host first (limits, accounting, drain), whatever listeners a
 * library installs or rewires on it later (socket.io's `attach` wraps the
 * `request` listeners it finds).
 */
class HostedServer extends HttpServer {
  constructor(
    options: ConstructorParameters<typeof HttpServer>[0],
    private readonly host: NodeHost,
  ) {
    super(options as never);
  }

  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' || event === 'checkContinue') {
      this.host.request(this, args[0] as IncomingMessage & Partial<BodyLimited>, args[1] as ServerResponse, event === 'checkContinue');
      return true;
    }
    if (event === 'upgrade') return this.host.upgrade(this, args[0] as IncomingMessage, args[1] as Socket, args[2] as Buffer);
    return super.emit(event as string, ...args);
  }

  /** The event as node:http would emit it, to the app's listeners. */
  dispatch(event: string, ...args: unknown[]): boolean {
    return super.emit(event, ...args);
  }
}

/**
 * Hosts a Node request listener (Express, Koa, a Fastify instance's router)
 * on node:http with the same limits, logs, metrics and drain as a TSGI app.
 * Limits node:http cannot express are checked before the listener runs:
 * 414 long target, 431 too many or too long fields, 413 body over the limit
 * (declared, before any `100 Continue`, or counted on a chunked body).
 * Upgrades go to the app's `upgrade` listeners (its `onServer`/`upgrade`
 * exports, or Fastify's server) and are counted as upgraded connections.
 */
export class NodeHost {
  readonly servers: HttpServer[] = [];
  readonly upgraded = new UpgradedConnections();
  private readonly active = new Set<ServerResponse>();
  private readonly drainer = new GracefulDrain(this.upgraded);

  constructor(
    private readonly app: NodeApp,
    private readonly limits: NodeHostLimits,
    private readonly observer: RequestObserver,
    private readonly log: Logger,
  ) {}

  /** A server for one bind, with the app's listeners and its `onServer` hook run. */
  async createServer(): Promise<HttpServer> {
    const l = this.limits;
    const server = new HostedServer(
      {
        keepAliveTimeout: l.keepAliveTimeoutMs,
        headersTimeout: l.headersTimeoutMs,
        requestTimeout: 0,
        // How often node:http checks headersTimeout; its 30 s default would let a slowloris hold a socket 3x too long.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(l.headersTimeoutMs / 4))),
        maxHeaderSize: Math.max(16384, l.requestLine + l.fieldSize + 64),
        IncomingMessage: limitedRequestClass(l.body),
      },
      this,
    );
    server.maxHeadersCount = 0;
    this.drainer.attach(server);
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      if (socket.writable && !(err.code === 'ECONNRESET')) socket.end(rawResponse(status));
      else socket.destroy();
    });
    // Registered so node:http leaves `100 Continue` to us (sent only once the limits passed).
    server.on('checkContinue', () => {});
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.run(req, res));
    const { hooks, upgradeServer } = this.app;
    if (hooks.upgrade) server.on('upgrade', hooks.upgrade);
    if (upgradeServer && upgradeServer.listenerCount('upgrade') > 0) {
      server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => upgradeServer.emit('upgrade', req, socket, head));
    }
    await hooks.onServer?.(server);
    this.servers.push(server);
    return server;
  }

  /** A connection the master accepted and handed over (--sticky). */
  adopt(server: HttpServer, socket: Socket): void {
    this.drainer.adopt(socket);
    server.emit('connection', socket);
    socket.resume();
  }

  /** Requests being served, less those whose connection is (or may become) an upgraded one: a WebSocket is not a request in flight. */
  get inFlight(): number {
    let n = 0;
    for (const res of this.active) if (!(res.socket && this.upgraded.has(res.socket))) n++;
    return n;
  }

  private refuse(res: ServerResponse, status: number): void {
    res.shouldKeepAlive = false;
    const reason = reasonPhrase(status);
    res.writeHead(status, reason, { 'content-type': 'text/plain', connection: 'close' }).end(`${reason}\n`);
  }

  /** The head's size limits; returns the refusal status or 0. */
  private headStatus(req: IncomingMessage): number {
    const l = this.limits;
    const line = (req.method?.length ?? 0) + (req.url ?? '/').length + 10;
    if (line > l.requestLine) return 414;
    const raw = req.rawHeaders;
    if (raw.length / 2 > l.fields) return 431;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.length + raw[i + 1]!.length + 2 > l.fieldSize) return 431;
    }
    return 0;
  }

  /** @internal HostedServer's request and checkContinue events. */
  request(server: HostedServer, req: IncomingMessage & Partial<BodyLimited>, res: ServerResponse, expectsContinue: boolean): void {
    this.drainer.track(res);
    const target = req.url ?? '/';
    const startedAt = performance.now();
    const remote = req.socket.remoteAddress ?? '';
    const socket = req.socket;
    // An upgrade the app takes over inside a route (ws.handleUpgrade(req, req.socket, ...)) never answers res.
    const mayUpgrade = req.headers.upgrade !== undefined;
    const writtenBefore = socket.bytesWritten;
    if (mayUpgrade) this.upgraded.track(socket, wantsWebSocket(req.headers.upgrade));
    this.observer.started(res, req.method ?? '', target, remote, this.observer.traces ? req.headers.traceparent : undefined);
    this.active.add(res);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.active.delete(res);
      const method = req.method ?? '';
      const durationMs = performance.now() - startedAt;
      // Taken over: the app wrote to the socket itself (a 101) instead of answering res.
      if (mayUpgrade && !res.headersSent && socket.bytesWritten > writtenBefore) {
        this.observer.upgradeEnded(res);
        return;
      }
      if (mayUpgrade) this.upgraded.untrack(socket);
      const status = res.headersSent ? res.statusCode : 0;
      this.observer.finished(res, method, status, durationMs, routeOfNodeRequest(req));
      if (!this.observer.logsAccess) return;
      const length = responseHeader(res, 'content-length');
      this.observer.logAccess({
        remote,
        method,
        target,
        protocol: `HTTP/${req.httpVersion}`,
        status,
        bytes: length === undefined ? -1 : Number(length),
        durationMs,
        endedAt: new Date(),
        requestHeader: (name) => {
          const v = req.headers[name];
          return Array.isArray(v) ? v.join(', ') : v;
        },
        responseHeader: (name) => responseHeader(res, name),
      });
    };
    res.once('finish', finish);
    res.once('close', finish);

    const refused = this.headStatus(req);
    if (refused !== 0) return this.refuse(res, refused);
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > this.limits.body) return this.refuse(res, 413);
    if (this.limits.body !== Number.POSITIVE_INFINITY) {
      req.onOverflow = () => {
        if (!res.headersSent) this.refuse(res, 413);
        else res.destroy();
      };
    }
    if (expectsContinue) res.writeContinue();
    server.dispatch('request', req, res);
  }

  /** @internal HostedServer's upgrade event: limits, drain, accounting, then the app's upgrade listeners. */
  upgrade(server: HostedServer, req: IncomingMessage, socket: Socket, head: Buffer): boolean {
    const status = this.drainer.isDraining ? 503 : this.headStatus(req);
    if (status !== 0) {
      socket.end(rawResponse(status));
      return true;
    }
    this.upgraded.track(socket, wantsWebSocket(req.headers.upgrade));
    this.observer.upgradeStarted();
    return server.dispatch('upgrade', req, socket, head);
  }

  /** The app's request listener, with sync throws and rejected promises turned into 500 + a log line. */
  private run(req: IncomingMessage, res: ServerResponse): void {
    try {
      const ret = this.app.listener(req, res) as unknown;
      if (ret && typeof (ret as Promise<unknown>).then === 'function') {
        (ret as Promise<unknown>).then(undefined, (err: unknown) => this.fail(res, err));
      }
    } catch (err) {
      this.fail(res, err);
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    this.log.error({ err }, 'request listener threw');
    if (!res.headersSent) this.refuse(res, 500);
    else res.destroy();
  }

  /** Stop accepting; further responses close their connection; WebSockets get 1001 once graceMs is over. */
  drain(graceMs: number): Promise<void> {
    return this.drainer.drain(graceMs);
  }
}

/** The answer to a request node:http cannot hand to the app (bad head, refused upgrade): no body, the connection closes. */
function rawResponse(status: number): Buffer {
  return serializeErrorAnswer({ status, body: '', close: true });
}

/**
 * A response header as sent. Headers passed straight to `writeHead()` (as
 * Fastify does) are not kept by node:http, only serialised into the head
 * string, so fall back to reading that.
 */
function responseHeader(res: ServerResponse, name: string): string | undefined {
  const v = res.getHeader(name);
  if (v !== undefined) return Array.isArray(v) ? v.join(', ') : String(v);
  return serializedHeader(res, name);
}
