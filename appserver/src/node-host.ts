import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { GracefulDrain } from './graceful-drain.js';
import { serializedHeader } from './node-internals.js';
import type { RequestObserver } from './request-observer.js';

export interface NodeHostLimits {
  requestLine: number;
  fields: number;
  fieldSize: number;
  body: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
}

/**
 * Hosts a Node request listener (Express, a Fastify instance's router) on
 * node:http with the same limits, logs, metrics and drain as a TSGI app.
 * Limits node:http cannot express per field are checked before the listener
 * runs: 414 long target, 431 too many or too long fields, 413 declared body.
 */
export class NodeHost {
  readonly servers: Server[] = [];
  private readonly active = new Set<ServerResponse>();
  private readonly drainer = new GracefulDrain();

  constructor(
    private readonly listener: RequestListener,
    private readonly limits: NodeHostLimits,
    private readonly observer: RequestObserver,
    private readonly log: Logger,
  ) {}

  createServer(): Server {
    const l = this.limits;
    const server = createServer(
      {
        keepAliveTimeout: l.keepAliveTimeoutMs,
        headersTimeout: l.headersTimeoutMs,
        requestTimeout: 0,
        // How often node:http checks headersTimeout; its 30 s default would let a slowloris hold a socket 3x too long.
        connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(l.headersTimeoutMs / 4))),
        maxHeaderSize: Math.max(16384, l.requestLine + l.fieldSize + 64),
      },
      (req, res) => this.handle(req, res),
    );
    server.maxHeadersCount = 0;
    this.drainer.attach(server);
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      if (socket.writable && !(err.code === 'ECONNRESET')) {
        socket.end(`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      } else {
        socket.destroy();
      }
    });
    this.servers.push(server);
    return server;
  }

  get inFlight(): number {
    return this.active.size;
  }

  private refuse(res: ServerResponse, status: number, reason: string): void {
    res.shouldKeepAlive = false;
    res.writeHead(status, reason, { 'content-type': 'text/plain', connection: 'close' }).end(`${reason}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const l = this.limits;
    const target = req.url ?? '/';
    const startedAt = performance.now();
    const remote = req.socket.remoteAddress ?? '';
    this.observer.started(res, req.method ?? '', target, remote);
    this.active.add(res);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.active.delete(res);
      const status = res.headersSent ? res.statusCode : 0;
      const method = req.method ?? '';
      const durationMs = performance.now() - startedAt;
      this.observer.finished(res, method, status, durationMs);
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

    const line = (req.method?.length ?? 0) + target.length + 10;
    if (line > l.requestLine) return this.refuse(res, 414, 'URI Too Long');
    const raw = req.rawHeaders;
    if (raw.length / 2 > l.fields) return this.refuse(res, 431, 'Request Header Fields Too Large');
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.length + raw[i + 1]!.length + 2 > l.fieldSize) return this.refuse(res, 431, 'Request Header Fields Too Large');
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > l.body) return this.refuse(res, 413, 'Content Too Large');
    try {
      const ret = this.listener(req, res) as unknown;
      if (ret && typeof (ret as Promise<unknown>).then === 'function') {
        (ret as Promise<unknown>).then(undefined, (err: unknown) => this.fail(res, err));
      }
    } catch (err) {
      this.fail(res, err);
    }
  }

  private fail(res: ServerResponse, err: unknown): void {
    this.log.error({ err }, 'request listener threw');
    if (!res.headersSent) this.refuse(res, 500, 'Internal Server Error');
    else res.destroy();
  }

  /** Stop accepting; further responses close their connection; force-close after graceMs. */
  drain(graceMs: number): Promise<void> {
    return this.drainer.drain(graceMs);
  }
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
