import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../errors.js';
import type { ServerOptions } from '../server-types.js';
import type { App, ResponseHeaders } from '../types.js';
import { buildEnviron } from '../server/environ.js';
import { Exchange, type ExchangeHost, type ResponseSink } from '../server/exchange.js';
import { BodyInput, type BodyPump } from '../server/input-stream.js';
import { continueAlreadySent } from './node-internals.js';
import type { RequestHead } from '../server/request-head.js';
import { splitTarget, type TargetParts } from '@tsgi/http1';
import { resolveOptions } from '../server/server-options.js';

/** A `(req, res)` listener for `http.createServer` / `https.createServer`. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void;

function flatHeaders(headers: ResponseHeaders, addLength: number): string[] {
  const flat: string[] = [];
  for (const h of headers) flat.push(h[0], h[1]);
  if (addLength >= 0) flat.push('Content-Length', String(addLength));
  return flat;
}

class NodeResponseSink implements ResponseSink {
  constructor(private readonly res: ServerResponse) {}

  sendAll(code: number, status: string, headers: ResponseHeaders, addLength: number, chunks: Uint8Array[] | null): void {
    this.res.writeHead(code, status.slice(4), flatHeaders(headers, addLength));
    if (chunks === null) {
      this.res.end();
      return;
    }
    for (let i = 0; i < chunks.length - 1; i++) this.res.write(chunks[i]);
    this.res.end(chunks[chunks.length - 1]);
  }

  sendHead(code: number, status: string, headers: ResponseHeaders): void {
    this.res.writeHead(code, status.slice(4), flatHeaders(headers, -1));
  }

  write(chunk: Uint8Array): boolean {
    return this.res.write(chunk);
  }

  waitDrain(): Promise<void> {
    const res = this.res;
    if (res.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  endBody(complete: boolean): void {
    if (complete) this.res.end();
    else this.res.destroy();
  }

  cut(): void {
    this.res.destroy();
  }

  sendError(code: number, message: string): void {
    const body = Buffer.from(`${message}\n`);
    this.res.writeHead(code, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length), 'Connection', 'close']);
    this.res.end(body);
  }
}

/**
 * Pulls body bytes from the IncomingMessage only when the app reads
 * (INPUT-3), sends 100 Continue on the first read (SRV-3) and enforces limits.body.
 */
class RequestPump implements BodyPump {
  private received = 0;
  private continued: boolean;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly limit: number,
    expectContinue: boolean,
  ) {
    // Without a 'checkContinue' listener Node has already sent 100 Continue itself.
    this.continued = !expectContinue || continueAlreadySent(res);
  }

  private take(chunk: Buffer): Buffer {
    this.received += chunk.length;
    if (this.received > this.limit) {
      throw new GatewayError('GW_ERR_BODY_TOO_LARGE', `request body over ${this.limit} bytes`);
    }
    return chunk;
  }

  pull(): Buffer | null | Promise<Buffer | null> {
    if (!this.continued) {
      this.continued = true;
      if (!this.res.headersSent) this.res.writeContinue();
    }
    const req = this.req;
    const first = req.read() as Buffer | null;
    if (first !== null) return this.take(first);
    if (req.readableEnded) return null;
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        req.off('readable', onReadable);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
      };
      const onReadable = (): void => {
        const c = req.read() as Buffer | null;
        if (c !== null) {
          cleanup();
          try {
            resolve(this.take(c));
          } catch (err) {
            reject(err);
          }
        } else if (req.readableEnded) {
          cleanup();
          resolve(null);
        }
      };
      const onEnd = (): void => {
        cleanup();
        resolve(null);
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(new GatewayError('GW_ERR_INPUT_ABORTED', 'the request body was cut off', { cause: err }));
      };
      const onClose = (): void => {
        if (req.readableEnded) return;
        cleanup();
        reject(new GatewayError('GW_ERR_INPUT_ABORTED', 'the request body was cut off'));
      };
      req.on('readable', onReadable);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }
}

function headOf(req: IncomingMessage, method: string): RequestHead | null {
  const target = req.url ?? '/';
  let parts: TargetParts;
  try {
    parts = splitTarget(target, method);
  } catch {
    return null;
  }
  const cl = req.headers['content-length'];
  const xfp = req.headers['x-forwarded-proto'];
  const proto = typeof xfp === 'string' ? xfp : '';
  return {
    method,
    target,
    rawPath: parts.rawPath,
    query: parts.query,
    version: `HTTP/${req.httpVersion}`,
    fields: req.rawHeaders,
    host: parts.authority !== '' ? parts.authority : (req.headers.host ?? ''),
    contentLength: cl === undefined ? -1 : Number(cl),
    chunked: req.headers['transfer-encoding'] !== undefined,
    keepAlive: true,
    expectContinue: (req.headers.expect ?? '').toLowerCase() === '100-continue',
    forwardedProto: (proto.split(',', 1)[0] ?? '').trim().toLowerCase(),
  };
}

function refuse(res: ServerResponse, code: number, message: string): void {
  const body = Buffer.from(`${message}\n`);
  res.writeHead(code, ['Content-Type', 'text/plain; charset=utf-8', 'Content-Length', String(body.length), 'Connection', 'close']);
  res.end(body);
}

/**
 * Runs a TSGI app as a `(req, res)` listener for any `node:http` server.
 * Node does the HTTP parsing and framing; this adapter builds the environ,
 * streams `tsgi.input` from `req` with backpressure and enforces the
 * app-facing rules (500 + one log line per violation). For SRV-3 also
 * register it as the server's `'checkContinue'` listener, otherwise Node
 * answers 100 Continue before the app runs.
 * Uses `limits.body`, `errors`, `urlScheme`, `multiprocess`, `serverName`,
 * `forwardedAllowIps` and `hooks` from the options.
 */
export function toNodeHandler(app: App, options: ServerOptions = {}): NodeHandler {
  const opts = resolveOptions(options);
  const host: ExchangeHost = { errors: opts.errors, hooks: opts.hooks, exchangeDone() {} };
  return function tsgiNodeHandler(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const head = headOf(req, method);
    const remoteAddress = req.socket.remoteAddress ?? '';
    if (head === null || (head.contentLength !== -1 && head.contentLength > opts.limits.body)) {
      const status = head === null ? 400 : 413;
      opts.hooks.onProtocolError?.({ status, code: status === 400 ? 'GW_ERR_BAD_TARGET' : 'GW_ERR_BODY_TOO_LARGE', remoteAddress });
      refuse(res, status, status === 400 ? 'Bad Request: invalid request-target' : 'Content Too Large');
      return;
    }
    const input = new BodyInput(new RequestPump(req, res, opts.limits.body, head.expectContinue), opts.input);
    const environ = buildEnviron(
      head,
      {
        remoteAddress,
        remotePort: String(req.socket.remotePort ?? ''),
        localAddress: req.socket.localAddress ?? '',
        localPort: String(req.socket.localPort ?? ''),
      },
      opts,
      input,
    );
    if (environ === null) {
      opts.hooks.onProtocolError?.({ status: 400, code: 'GW_ERR_BAD_PATH', remoteAddress });
      refuse(res, 400, 'Bad Request: path is not valid UTF-8');
      return;
    }
    const exchange = new Exchange(host, environ, new NodeResponseSink(res), method === 'HEAD', performance.now());
    res.on('close', () => exchange.abort());
    exchange.run(app);
  };
}
