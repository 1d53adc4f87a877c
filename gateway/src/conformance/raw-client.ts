import { connect, type Socket } from 'node:net';
import { ResponseReader, type RawResponse, type ReadResponseOptions } from './raw-response.js';

export { header, headerValues, parseResponses, type RawResponse, type ReadResponseOptions } from './raw-response.js';

/**
 * A raw TCP client for checking a server byte by byte: the kit (and every
 * test suite of the repository, through @tsgi/test-support) must send
 * requests no HTTP client library would (bad framing, odd paths, pipelines)
 * and see exactly what came back, including responses cut short and when
 * the server closed.
 */
export class RawConnection extends ResponseReader {
  private wake: (() => void) | null = null;
  private deadline: number;

  private constructor(
    private readonly socket: Socket,
    timeoutMs: number,
  ) {
    super();
    this.deadline = Date.now() + timeoutMs;
    socket.on('data', (data: Buffer) => {
      this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
      this.notify();
    });
    const end = (): void => {
      this.ended = true;
      this.notify();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  /** Connects to host:port; every later read fails after `timeoutMs` from now (see `setDeadline`). */
  static open(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.setNoDelay(true);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new RawConnection(socket, timeoutMs));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /**
   * Reads and writes an already opened socket (a TLS one, say): bytes written
   * before it connects are queued, a failed connect reads as the server closing.
   */
  static attach(socket: Socket, timeoutMs = 10_000): RawConnection {
    socket.setNoDelay(true);
    return new RawConnection(socket, timeoutMs);
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Reads from now on fail `ms` from now. */
  setDeadline(ms: number): void {
    this.deadline = Date.now() + ms;
  }

  /** True once the server closed (or reset) the connection and every byte was consumed. */
  get closed(): boolean {
    return this.ended && this.buf.length === 0;
  }

  /** The server ended the connection (bytes may still be unread). */
  get serverEnded(): boolean {
    return this.ended;
  }

  write(data: string | Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  /** Writes and resolves once the bytes are handed to the kernel (at once if the connection is gone). */
  send(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) resolve();
      else this.socket.write(data, () => resolve());
    });
  }

  /** Stops reading from the socket, as a client that does not keep up (the server meets backpressure). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Half-closes: the server sees the end of the request stream. */
  endWrite(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  protected async more(what: string): Promise<boolean> {
    if (this.ended) return false;
    const left = this.deadline - Date.now();
    if (left <= 0) throw new Error(`timed out waiting for ${what}`);
    const before = this.buf.length;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (this.buf.length === before && !this.ended) throw new Error(`timed out waiting for ${what}`);
    return this.buf.length > before;
  }

  /** Waits until the server ends the connection; throws on timeout. */
  async waitForClose(): Promise<void> {
    await this.readToEnd();
  }

  /**
   * Every byte until the server closes or the deadline passes, without
   * throwing: `closed` says which it was.
   */
  async readUntilClosed(): Promise<{ bytes: Buffer; closed: boolean }> {
    try {
      return { bytes: await this.readToEnd(), closed: true };
    } catch {
      return { bytes: this.take(this.buf.length), closed: this.ended };
    }
  }
}

/** Opens a connection, sends `request`, reads one response and closes. */
export async function exchange(port: number, request: string | Uint8Array, options: ReadResponseOptions & { timeoutMs?: number } = {}): Promise<RawResponse> {
  const conn = await RawConnection.open(port, '127.0.0.1', options.timeoutMs);
  try {
    conn.write(request);
    return await conn.readResponse(options);
  } finally {
    conn.destroy();
  }
}
