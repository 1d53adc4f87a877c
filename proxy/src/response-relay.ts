import { ChunkedDecoder, parseResponseHead, partialResponseHeadIsBad, type RequestHead, type ResponseHead } from '@tsgi/http1';
import type { Endpoint } from './endpoint.js';
import type { UpstreamConnection } from './upstream-connection.js';
import type { UpstreamGroup } from './upstream-group.js';
import type { ResponseCompressor } from './edge/response-compressor.js';
import { Phase, RespMode, detailOf, uncork } from './exchange-state.js';
import { UpstreamAttempts } from './upstream-attempts.js';
import { responseTrailerLimitsOf } from './wire.js';

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';
const SMALL_BODY = 16384;

/**
 * The upstream's answer on its way to the client: the response head parsed
 * for framing and hop-by-hop fields, the body passed through as bytes (or
 * re-framed, de-chunked for HTTP/1.0, compressed at the edge), small
 * responses in one write, upgrades turned into a tunnel. A failure after
 * the head went out cuts the client connection.
 */
export abstract class ResponseRelay extends UpstreamAttempts {
  /** Decoded data of a Dechunk response's first bytes, held until their framing is known good (see startChunked). */
  private held: Buffer[] | null = null;
  private readonly responseSink = (buf: Buffer, s: number, e: number): void => this.onResponseChunk(buf, s, e);

  /** A chunked upstream body starts: one decoder per connection, reset for each response. */
  protected resetResponseDecoder(): void {
    if (this.respDecoder === null) this.respDecoder = new ChunkedDecoder(responseTrailerLimitsOf(this.ctx.config.limits));
    else this.respDecoder.reset();
  }

  /** Nothing crossed the tunnel for its idle timeout: close both sides (nginx's proxy_read_timeout on an upgraded connection). */
  protected closeIdleTunnel(): void {
    this.deadline = Infinity;
    this.upstream?.socket.destroy();
    this.socket.destroy();
  }

  /** Plans edge compression for a response with a body; returns its header lines (sets `zip` when compressing). */
  protected abstract startCompression(req: RequestHead, head: ResponseHead): string;
  protected abstract compressedFraming(req: RequestHead): string;

  onUpstreamDrain(): void {
    if (!this.reqBodyDone || this.phase === Phase.Tunnel) this.socket.resume();
  }

  onUpstreamData(chunk: Buffer): void {
    if (this.phase === Phase.Tunnel) {
      this.touchTunnel();
      if (!this.socket.write(chunk)) (this.upstream as UpstreamConnection).socket.pause();
      return;
    }
    if (this.phase === Phase.Stream) {
      this.deadline = Math.min(Date.now() + (this.group as UpstreamGroup).config.timeouts.idle, this.totalDeadline);
      this.responseBody(chunk, 0);
      return;
    }
    this.rbuf = this.rbuf === null ? chunk : Buffer.concat([this.rbuf, chunk]);
    this.responseHead();
  }

  protected responseHead(): void {
    const req = this.req as RequestHead;
    for (;;) {
      const buf = this.rbuf as Buffer;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        // Only an incomplete head pays for this check; a bare LF would otherwise wait out the header timeout.
        if (buf.length > this.ctx.config.limits.maxResponseHeaderBytes) this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'response head too large', false);
        else if (partialResponseHeadIsBad(buf)) this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'control byte or bare CR/LF in head', false);
        return;
      }
      let head: ResponseHead;
      try {
        head = parseResponseHead(buf.toString('latin1', 0, end + 4), req.upgrade !== '');
      } catch (err) {
        this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', detailOf(err as Error, 'PX_ERR_UPSTREAM_BAD_RESPONSE'), false);
        return;
      }
      const restStart = end + 4;
      if (head.status >= 200 || head.status === 101) {
        this.rbuf = null;
        this.startResponse(head, buf, restStart);
        return;
      }
      // Interim responses: relay 100 Continue to a client that asked for it, drop the rest.
      if (head.status === 100 && req.expectContinue && !this.headSent) this.socket.write(CONTINUE, 'latin1');
      if (restStart >= buf.length) {
        this.rbuf = null;
        return;
      }
      this.rbuf = buf.subarray(restStart);
    }
  }

  protected startResponse(head: ResponseHead, buf: Buffer, start: number): void {
    const req = this.req as RequestHead;
    const group = this.group as UpstreamGroup;
    if (head.status === 101) {
      if (req.upgrade === '') {
        this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', '101 without upgrade request', false);
        return;
      }
      this.startTunnel(head, buf, start);
      return;
    }
    if (group.config.retries.statuses.includes(head.status)) {
      (this.endpoint as Endpoint).recordFailure(Date.now());
      this.ctx.onUpstreamFailure(this.endpoint as Endpoint, 'status');
      if (this.canRetry(false) && this.takeRetry('status')) {
        this.dropUpstream();
        this.attempt();
        return;
      }
    }
    this.resp = head;
    const noBody = req.method === 'HEAD' || head.status === 204 || head.status === 304;
    let lines = head.lines;
    let framing: string;
    // Routes without compression pay this one check.
    if (this.compress === null || noBody) framing = this.framing(req, head, noBody);
    else {
      lines = this.startCompression(req, head);
      framing = this.zip !== null ? this.compressedFraming(req) : this.framing(req, head, false);
    }
    if (head.close) this.respReusable = false;
    if (!this.reqBodyDone) this.keepClient = false;
    if (this.ctx.draining) this.keepClient = false;
    const conn = this.keepClient ? (req.minor === 0 ? 'connection: keep-alive\r\n' : '') : 'connection: close\r\n';
    const out = `HTTP/1.1 ${head.status} ${head.reason}\r\n${lines}${this.stickyCookie()}${framing}via: 1.1 ${this.ctx.config.forwarded.via}\r\n${conn}\r\n`;
    const avail = buf.length - start;
    if (avail > 0 && (this.respMode === RespMode.Chunked || this.respMode === RespMode.Dechunk || this.respMode === RespMode.ZChunked)) {
      this.startChunked(out, buf, start);
      return;
    }
    this.headSent = true;
    this.phase = Phase.Stream;
    this.deadline = Math.min(Date.now() + group.config.timeouts.idle, this.totalDeadline);
    const sock = this.socket;
    if (this.respMode === RespMode.None) {
      sock.write(out, 'latin1');
      if (start < buf.length) this.respReusable = false;
      this.finishResponse();
      return;
    }
    if (this.respMode === RespMode.Length && avail > 0 && avail <= this.respRemaining && avail <= SMALL_BODY) {
      // The common small response: head and body in one buffer, one write syscall, no writev.
      const headLen = out.length;
      const one = Buffer.allocUnsafe(headLen + avail);
      one.write(out, 0, headLen, 'latin1');
      buf.copy(one, headLen, start);
      this.respRemaining -= avail;
      this.bytesOut += avail;
      const ok = sock.write(one);
      if (this.respRemaining === 0) this.finishResponse();
      else if (!ok && this.upstream !== null) this.upstream.socket.pause();
      return;
    }
    sock.cork();
    sock.write(out, 'latin1');
    if (avail > 0) this.responseBody(buf, start);
    process.nextTick(uncork, sock);
  }

  /**
   * A chunked body whose first bytes came with the head: their framing is
   * checked before the head is written, so bad framing there is still a
   * clean 502 (counted against the endpoint, retried when allowed) rather
   * than a cut connection the client sees as an empty reply. The decoder
   * makes the one pass over these bytes it makes anyway.
   */
  private startChunked(out: string, buf: Buffer, start: number): void {
    const mode = this.respMode;
    const decoder = this.respDecoder as ChunkedDecoder;
    // Dechunk emits decoded data while it parses: hold it until the framing is known good.
    if (mode === RespMode.Dechunk) this.held = [];
    this.zipOk = true;
    let end: number;
    try {
      end = decoder.push(buf, start, this.responseSink);
    } catch (err) {
      this.held = null;
      if (this.zip !== null) {
        this.zip.destroy();
        this.zip = null;
      }
      this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', (err as Error).message, false);
      return;
    }
    this.headSent = true;
    this.phase = Phase.Stream;
    this.deadline = Math.min(Date.now() + (this.group as UpstreamGroup).config.timeouts.idle, this.totalDeadline);
    const sock = this.socket;
    let ok = true;
    sock.cork();
    sock.write(out, 'latin1');
    if (mode === RespMode.Chunked) {
      const stop = end < 0 ? buf.length : end;
      ok = sock.write(buf.subarray(start, stop));
      this.bytesOut += stop - start;
    } else if (mode === RespMode.Dechunk) {
      const held = this.held as Buffer[];
      this.held = null;
      for (const b of held) {
        ok = sock.write(b);
        this.bytesOut += b.length;
      }
    }
    process.nextTick(uncork, sock);
    if (end >= 0) {
      if (end < buf.length) this.respReusable = false;
      if (mode === RespMode.ZChunked) this.upstreamBodyDone();
      else this.finishResponse();
      return;
    }
    if (mode === RespMode.ZChunked) {
      (this.zip as ResponseCompressor).flush();
      ok = this.zipOk;
    }
    if (!ok && this.upstream !== null) this.upstream.socket.pause();
  }

  /** Chooses how the upstream body is passed on (respMode) and returns the client's framing header line. */
  private framing(req: RequestHead, head: ResponseHead, noBody: boolean): string {
    if (noBody) {
      this.respMode = RespMode.None;
      // A body on a 204/304 would desync the socket.
      if (req.method !== 'HEAD' && (head.contentLength > 0 || head.chunked)) this.respReusable = false;
      return head.contentLength >= 0 && head.status !== 204 ? `content-length: ${head.contentLength}\r\n` : '';
    }
    if (head.contentLength >= 0) {
      this.respMode = RespMode.Length;
      this.respRemaining = head.contentLength;
      return `content-length: ${head.contentLength}\r\n`;
    }
    if (head.chunked) {
      this.resetResponseDecoder();
      if (req.minor === 1) {
        this.respMode = RespMode.Chunked;
        return 'transfer-encoding: chunked\r\n';
      }
      this.respMode = RespMode.Dechunk;
      this.keepClient = false;
      return '';
    }
    this.respReusable = false;
    if (req.minor === 1) {
      this.respMode = RespMode.CloseToChunked;
      return 'transfer-encoding: chunked\r\n';
    }
    this.respMode = RespMode.CloseRaw;
    this.keepClient = false;
    return '';
  }

  protected responseBody(chunk: Buffer, start: number): void {
    const sock = this.socket;
    let ok = true;
    switch (this.respMode) {
      case RespMode.Length: {
        const avail = chunk.length - start;
        const take = avail < this.respRemaining ? avail : this.respRemaining;
        ok = sock.write(start === 0 && take === chunk.length ? chunk : chunk.subarray(start, start + take));
        this.bytesOut += take;
        this.respRemaining -= take;
        if (this.respRemaining === 0) {
          if (start + take < chunk.length) this.respReusable = false;
          this.finishResponse();
          return;
        }
        break;
      }
      case RespMode.Chunked:
      case RespMode.Dechunk: {
        let end: number;
        try {
          end = (this.respDecoder as ChunkedDecoder).push(chunk, start, this.responseSink);
        } catch {
          this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'bad chunked framing', false);
          return;
        }
        if (this.respMode === RespMode.Chunked) {
          const stop = end < 0 ? chunk.length : end;
          ok = sock.write(start === 0 && stop === chunk.length ? chunk : chunk.subarray(start, stop));
          this.bytesOut += stop - start;
        }
        if (end >= 0) {
          if (end < chunk.length) this.respReusable = false;
          this.finishResponse();
          return;
        }
        break;
      }
      case RespMode.CloseToChunked:
        sock.write(`${(chunk.length - start).toString(16)}\r\n`, 'latin1');
        sock.write(start === 0 ? chunk : chunk.subarray(start));
        ok = sock.write(CRLF, 'latin1');
        this.bytesOut += chunk.length - start;
        break;
      case RespMode.CloseRaw:
        ok = sock.write(start === 0 ? chunk : chunk.subarray(start));
        this.bytesOut += chunk.length - start;
        break;
      case RespMode.ZLength: {
        const avail = chunk.length - start;
        const take = avail < this.respRemaining ? avail : this.respRemaining;
        const zip = this.zip as ResponseCompressor;
        ok = zip.write(start === 0 && take === chunk.length ? chunk : chunk.subarray(start, start + take));
        this.respRemaining -= take;
        if (this.respRemaining === 0) {
          if (start + take < chunk.length) this.respReusable = false;
          this.upstreamBodyDone();
          return;
        }
        zip.flush();
        break;
      }
      case RespMode.ZChunked: {
        let end: number;
        this.zipOk = true;
        try {
          end = (this.respDecoder as ChunkedDecoder).push(chunk, start, this.responseSink);
        } catch {
          this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'bad chunked framing', false);
          return;
        }
        if (end >= 0) {
          if (end < chunk.length) this.respReusable = false;
          this.upstreamBodyDone();
          return;
        }
        (this.zip as ResponseCompressor).flush();
        ok = this.zipOk;
        break;
      }
      case RespMode.ZClose: {
        const zip = this.zip as ResponseCompressor;
        ok = zip.write(start === 0 ? chunk : chunk.subarray(start));
        zip.flush();
        break;
      }
      default:
        break;
    }
    if (!ok && this.upstream !== null) this.upstream.socket.pause();
  }

  protected onResponseChunk(buf: Buffer, s: number, e: number): void {
    if (this.respMode === RespMode.ZChunked) {
      if (!(this.zip as ResponseCompressor).write(buf.subarray(s, e))) this.zipOk = false;
      return;
    }
    if (this.respMode !== RespMode.Dechunk) return;
    if (this.held !== null) {
      this.held.push(buf.subarray(s, e));
      return;
    }
    this.bytesOut += e - s;
    if (!this.socket.write(buf.subarray(s, e)) && this.upstream !== null) this.upstream.socket.pause();
  }

  onUpstreamEnd(): void {
    if (this.phase === Phase.Tunnel) {
      this.socket.end();
      return;
    }
    if (this.phase === Phase.Stream && this.respMode === RespMode.ZClose && this.upstream !== null) {
      this.upstreamBodyDone();
      return;
    }
    if (this.phase === Phase.Stream && (this.respMode === RespMode.CloseToChunked || this.respMode === RespMode.CloseRaw)) {
      if (this.respMode === RespMode.CloseToChunked) this.socket.write(LAST_CHUNK, 'latin1');
      this.finishResponse();
    }
    // Otherwise 'close' follows and reports the truncation.
  }

  onUpstreamClose(error: Error | null): void {
    this.upstream = null;
    if (this.phase === Phase.Tunnel) {
      this.socket.destroy();
      return;
    }
    if (this.phase === Phase.Closed || this.phase === Phase.KeepAlive || this.phase === Phase.Head) return;
    const detail = (error as NodeJS.ErrnoException | null)?.code ?? 'connection closed';
    this.upstreamFailed('PX_ERR_UPSTREAM_RESET', detail, false);
  }

  protected startTunnel(head: ResponseHead, buf: Buffer, start: number): void {
    const conn = this.upstream as UpstreamConnection;
    this.phase = Phase.Tunnel;
    this.tunnelIdleMs = (this.group as UpstreamGroup).config.timeouts.tunnelIdle;
    this.touchTunnel();
    this.headSent = true;
    this.record(101, null, false);
    (this.endpoint as Endpoint).active--;
    (this.endpoint as Endpoint).recordSuccess(Date.now());
    this.endpoint = null;
    this.socket.write(`HTTP/1.1 101 ${head.reason}\r\n${head.lines}connection: upgrade\r\n\r\n`, 'latin1');
    if (start < buf.length) this.socket.write(buf.subarray(start));
    const rest = this.buf;
    this.buf = null;
    if (rest !== null) conn.socket.write(rest);
    this.socket.resume();
  }
}
