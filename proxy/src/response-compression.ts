import type { RequestHead, ResponseHead } from '@tsgi/http1';
import { planCompression } from './edge/compression.js';
import { ResponseCompressor } from './edge/response-compressor.js';
import { Phase, RespMode, headerValue } from './exchange-state.js';
import { ResponseRelay } from './response-relay.js';

/**
 * Response compression at the edge (routes with `compression` on): the plan
 * (eligibility, Accept-Encoding, rewritten header lines), the compressor
 * that takes the upstream body, and the ends of a compressed exchange (the
 * upstream is freed as soon as its body is in; the client side finishes
 * when zlib has written its last byte).
 */
export abstract class ResponseCompression extends ResponseRelay {
  protected startCompression(req: RequestHead, head: ResponseHead): string {
    const policy = this.compress as NonNullable<typeof this.compress>;
    const plan = planCompression(policy, headerValue(req, 'accept-encoding'), head);
    if (plan === null) return head.lines;
    if (plan.encoding !== null) {
      this.zip = new ResponseCompressor(plan.encoding, policy, this.socket, req.minor === 1, this);
      this.respMode = head.contentLength >= 0 ? RespMode.ZLength : head.chunked ? RespMode.ZChunked : RespMode.ZClose;
      this.respRemaining = head.contentLength;
      if (head.chunked) this.resetResponseDecoder();
    }
    return plan.lines;
  }

  /** Compressed bodies are chunked for HTTP/1.1 clients and close-delimited for HTTP/1.0 ones. */
  protected compressedFraming(req: RequestHead): string {
    if (this.respMode === RespMode.ZClose) this.respReusable = false;
    if (req.minor === 1) return 'transfer-encoding: chunked\r\n';
    this.keepClient = false;
    return '';
  }

  /** The compressed response's upstream body is complete: free the upstream now, finish the client side when zlib has written everything. */
  protected upstreamBodyDone(): void {
    this.releaseUpstream();
    this.respMode = RespMode.None;
    (this.zip as ResponseCompressor).end();
  }

  /** zlib takes input again. */
  writable(): void {
    if (this.upstream !== null && this.phase === Phase.Stream) this.upstream.socket.resume();
  }

  /** zlib wrote the last compressed byte. */
  done(): void {
    const zip = this.zip as ResponseCompressor;
    this.zip = null;
    this.bytesOut = zip.bytesOut;
    this.ctx.onCompressed(zip.encoding, zip.bytesIn, zip.bytesOut);
    this.record((this.resp as ResponseHead).status, null, false);
    this.afterExchange();
  }

  /** zlib failed mid-response: cut the client so the body never looks complete. */
  failed(): void {
    this.zip = null;
    this.upstreamFailed('PX_ERR_UPSTREAM_BAD_RESPONSE', 'compression failed', false);
  }
}
