import type { ClientSide } from './client-side.js';
import type { UpstreamConnection } from '../upstream/upstream-connection.js';

/**
 * An upgraded connection (WebSocket and the like) after the upstream's 101:
 * bytes both ways untouched, backpressure both ways, an idle deadline that
 * any byte either way pushes back (nginx's proxy_read_timeout applies to
 * tunnels too), and each side's FIN passed to the other.
 */
export class Tunnel {
  /** When the tunnel closes for idleness (Infinity: never). */
  deadline = Infinity;

  constructor(
    private readonly client: ClientSide,
    private readonly upstream: UpstreamConnection,
    /** Fixed when the tunnel opens, so a reload does not change a running tunnel (0: none). */
    private readonly idleMs: number,
  ) {
    this.touch();
  }

  private touch(): void {
    this.deadline = this.idleMs > 0 ? Date.now() + this.idleMs : Infinity;
  }

  fromClient(chunk: Buffer): void {
    this.touch();
    if (!this.upstream.socket.write(chunk)) this.client.pauseReading();
  }

  fromUpstream(chunk: Buffer): void {
    this.touch();
    if (!this.client.sendRaw(chunk, 0, chunk.length)) this.upstream.socket.pause();
  }

  upstreamDrained(): void {
    this.client.resumeReading();
  }

  clientDrained(): void {
    this.upstream.socket.resume();
  }

  clientEnded(): void {
    this.upstream.socket.end();
  }

  upstreamEnded(): void {
    this.client.endBody();
  }

  /** Either side closed, or the idle deadline passed: close both. */
  close(): void {
    this.deadline = Infinity;
    this.upstream.handler = null;
    this.upstream.socket.destroy();
    this.client.cut();
  }
}
