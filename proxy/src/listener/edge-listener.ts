import { Duplex } from 'node:stream';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { TLSSocket, type TLSSocketOptions } from 'node:tls';
import { performServerHandshake, type ServerHttp2Session, type ServerHttp2Stream, type IncomingHttpHeaders, type Settings } from 'node:http2';
import type { ProxyError } from '../errors.js';
import { adoptForBufferedReads, normalizePeer } from '@tsgi/http1';
import { markServerHandshakeDone } from './node-internals.js';
import { readProxyHeader } from './proxy-protocol-reader.js';
import type { ProxiedAddress } from './proxy-protocol.js';
import type { TlsContexts } from './tls-contexts.js';

/**
 * Bytes a client socket queues before a write says "full" and the relay stops reading the upstream (Node's
 * default is 64 KiB). With 16 KiB upstream reads, a client that stops reading holds at most about 32 KiB of
 * its response in this process, as nginx's 8 × 4 KiB `proxy_buffers` do; the kernel's socket buffers hold the rest.
 */
export const CLIENT_HIGH_WATER = 16384;

/** Who is on the other end of an accepted connection, after PROXY protocol and TLS. */
export interface ClientInfo {
  /** The client address: from the PROXY header when there is one, else the socket's peer. */
  address: string;
  port: number;
  /** The TCP peer (the load balancer when PROXY protocol is on). */
  peerAddress: string;
  /** What the PROXY header said (null: none or LOCAL/UNKNOWN). */
  proxied: ProxiedAddress | null;
  tls: boolean;
  /** Negotiated ALPN protocol ('h2', 'http/1.1') or '' without TLS/ALPN. */
  alpn: string;
  /** SNI name the client asked for, '' when none. */
  servername: string;
  /** Negotiated TLS version ('TLSv1.3'), null without TLS. */
  tlsProtocol: string | null;
  /** The address the connection arrived on, for PROXY headers sent upstream. */
  localAddress: string;
  localPort: number;
  /** Which listener accepted it (EdgeListener.id; 0 when unknown), so a reload that removes a listener drains only its connections. */
  listener: number;
}

/** Counters the listener reports (the proxy turns them into metrics). */
export interface EdgeListenerEvents {
  tlsHandshake?(info: ClientInfo): void;
  tlsError?(reason: string): void;
  proxyProtocolError?(err: ProxyError): void;
  h2Session?(info: ClientInfo): void;
  h2Stream?(info: ClientInfo): void;
}

export interface EdgeListenerOptions {
  /** Expect a PROXY protocol v1/v2 header first on every connection. */
  proxyProtocol: boolean;
  proxyProtocolTimeout: number;
  /** TLS contexts; null for plaintext. */
  tls: TlsContexts | null;
  /** HTTP/2 SETTINGS for h2 sessions (ALPN `h2` on TLS listeners). */
  h2Settings?: Settings;
  /** An h2 connection with no stream activity for this long gets GOAWAY (ms; 0: never). */
  h2IdleTimeout?: number;
  /** Most header fields per h2 request (node's maxHeaderListPairs). */
  h2MaxHeaderPairs?: number;
  /** HTTP/1.x connections, plain or TLS, handed over paused-then-resumed by the caller's reader. */
  onHttp1(socket: Socket, info: ClientInfo): void;
  /** One HTTP/2 stream. */
  onH2Stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[], info: ClientInfo): void;
  events?: EdgeListenerEvents;
  /** New connections are refused while this says so (drain). */
  accepting?: () => boolean;
  /** Counts an accepted connection, or closes it and says false (the worker's connection cap). */
  admit?: (socket: Socket) => boolean;
}

/**
 * One edge listener: TCP accept → optional PROXY protocol header → optional
 * TLS (SNI-selected contexts, ALPN) → HTTP/1.1 to the proxy core or HTTP/2
 * sessions whose streams are handed out one by one. TLS runs over the
 * accepted socket through a non-listening `tls.Server`, so handshake timeouts
 * and client-error events behave as on a normal TLS server.
 */
export class EdgeListener {
  private static serial = 0;
  /** Tags every ClientInfo this listener produces (ClientInfo.listener). */
  readonly id = ++EdgeListener.serial;
  readonly server: Server;
  private readonly sessions = new Set<ServerHttp2Session>();

  constructor(private readonly options: EdgeListenerOptions) {
    // Every socket is accepted paused, whatever the options: a plain
    // HTTP/1.x handle moves to a socket that reads through `onread`, the others resume once TLS or the PROXY reader is set.
    this.server = createTcpServer({ allowHalfOpen: true, noDelay: true, pauseOnConnect: true, highWaterMark: CLIENT_HIGH_WATER }, (socket) => this.onConnection(socket));
    this.server.maxConnections = 1_000_000;
  }

  listen(host: string, port: number, exclusive = false): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 2048, exclusive }, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        if (a === null || typeof a === 'string') reject(new Error(`listener bound to ${String(a)}, not a TCP address`));
        else resolve({ host: a.address, port: a.port });
      });
    });
  }

  private baseInfo(socket: Socket, proxied: ProxiedAddress | null): ClientInfo {
    const peer = normalizePeer(socket.remoteAddress ?? '');
    return {
      address: proxied?.sourceAddress ?? peer,
      port: proxied?.sourcePort ?? socket.remotePort ?? 0,
      peerAddress: peer,
      proxied,
      tls: false,
      alpn: '',
      servername: '',
      tlsProtocol: null,
      localAddress: proxied?.destinationAddress ?? normalizePeer(socket.localAddress ?? ''),
      localPort: proxied?.destinationPort ?? socket.localPort ?? 0,
      listener: this.id,
    };
  }

  private onConnection(accepted: Socket): void {
    const o = this.options;
    if (o.accepting !== undefined && !o.accepting()) {
      accepted.destroy();
      return;
    }
    const socket = !o.proxyProtocol && o.tls === null ? adoptForBufferedReads(accepted, true) : accepted;
    if (o.admit !== undefined && !o.admit(socket)) return;
    if (!o.proxyProtocol) {
      this.afterProxyHeader(o, socket, this.baseInfo(socket, null));
      return;
    }
    socket.resume();
    readProxyHeader(socket, o.proxyProtocolTimeout).then(
      (header) => this.afterProxyHeader(o, socket, this.baseInfo(socket, header.address)),
      (err: ProxyError) => o.events?.proxyProtocolError?.(err),
    );
  }

  private afterProxyHeader(o: EdgeListenerOptions, socket: Socket, info: ClientInfo): void {
    const tls = o.tls;
    if (tls === null) {
      o.onHttp1(socket, info);
      // Accepted paused (PROXY header read, or handle adopted): reading starts once the codec listens.
      socket.resume();
      return;
    }
    // Bytes read past a PROXY header sit in the JS buffer, which TLS over the raw handle would skip.
    const carrier = socket.readableLength > 0 ? new BufferedSocket(socket) : socket;
    // TLSSocket takes highWaterMark as tls.connect passes it; @types/node leaves it out of TLSSocketOptions.
    const socketOptions: TLSSocketOptions & { highWaterMark: number } = { ...tls.serverOptions(), isServer: true, highWaterMark: CLIENT_HIGH_WATER };
    const tlsSocket = new TLSSocket(carrier, socketOptions);
    let secured = false;
    const timer = setTimeout(() => {
      o.events?.tlsError?.('timeout');
      tlsSocket.destroy();
    }, tls.handshakeTimeout);
    tlsSocket.on('error', (err: NodeJS.ErrnoException) => {
      if (!secured) {
        clearTimeout(timer);
        o.events?.tlsError?.(tlsReason(err));
      }
      tlsSocket.destroy();
    });
    tlsSocket.once('secure', () => {
      secured = true;
      clearTimeout(timer);
      markServerHandshakeDone(tlsSocket);
      const full: ClientInfo = {
        ...info,
        tls: true,
        alpn: typeof tlsSocket.alpnProtocol === 'string' ? tlsSocket.alpnProtocol : '',
        tlsProtocol: tlsSocket.getProtocol(),
        servername: typeof tlsSocket.servername === 'string' ? tlsSocket.servername : '',
      };
      o.events?.tlsHandshake?.(full);
      if (full.alpn === 'h2') this.startH2(o, tlsSocket, full);
      else o.onHttp1(tlsSocket, full);
    });
    // Accepted paused: TLS reads the handle once the raw socket flows again.
    if (carrier === socket) socket.resume();
  }

  private startH2(o: EdgeListenerOptions, socket: TLSSocket, info: ClientInfo): void {
    const session = performServerHandshake(socket, {
      settings: { maxConcurrentStreams: 128, ...o.h2Settings },
      maxHeaderListPairs: o.h2MaxHeaderPairs ?? 128,
    });
    this.sessions.add(session);
    const idle = o.h2IdleTimeout ?? 0;
    // Without this an h2 connection with no streams would stay open forever (the core's deadlines are per request).
    if (idle > 0) session.setTimeout(idle, () => session.close());
    o.events?.h2Session?.(info);
    session.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
      o.events?.h2Stream?.(info);
      o.onH2Stream(stream, headers, flags, rawHeaders, info);
    });
    session.on('error', () => {});
    session.on('close', () => this.sessions.delete(session));
  }

  /** Stops accepting; open h2 sessions get GOAWAY so clients move to a new connection. */
  close(): Promise<void> {
    for (const s of this.sessions) if (!s.closed) s.close();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Live h2 sessions (drain waits on them). */
  get h2Sessions(): number {
    return this.sessions.size;
  }

  /** Cuts every h2 session (stop after the drain budget). */
  destroySessions(): void {
    for (const s of this.sessions) s.destroy();
  }
}

function tlsReason(err: NodeJS.ErrnoException): string {
  if (err.code === 'ERR_SSL_UNSUPPORTED_PROTOCOL' || /unsupported protocol|version too low/i.test(err.message)) return 'protocol';
  if (/no shared cipher|no_shared_cipher/i.test(err.message)) return 'cipher';
  if (/timed? ?out/i.test(err.message) || err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (err.code === 'ECONNRESET') return 'reset';
  return 'other';
}

/**
 * A socket whose first bytes were already read into JS (after a PROXY
 * header): reads drain that buffer, then the socket; writes go straight
 * through. TLS then runs over this stream instead of the raw handle.
 */
class BufferedSocket extends Duplex {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  constructor(private readonly socket: Socket) {
    super({ allowHalfOpen: true });
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    socket.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) socket.pause();
    });
    socket.on('end', () => this.push(null));
    socket.on('error', (err) => this.destroy(err));
    socket.on('close', () => this.destroy());
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.socket.write(chunk, enc, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.socket.end(cb);
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    this.socket.destroy();
    cb(err);
  }

  setNoDelay(v?: boolean): this {
    this.socket.setNoDelay(v);
    return this;
  }

  setKeepAlive(enable?: boolean, delay?: number): this {
    this.socket.setKeepAlive(enable, delay);
    return this;
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.socket.setTimeout(ms, cb);
    return this;
  }
}
