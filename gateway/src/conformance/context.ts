import type { RuleId } from '../rules.js';
import { RawConnection, exchange, type RawResponse } from './raw-client.js';
import { readEvents, type AppEvent } from './side-channel.js';

/** What a check gets: the server's port, the side channel, and request helpers. */
export class CheckContext {
  private seq = 0;

  constructor(
    readonly port: number,
    /** The side-channel directory the app writes its events to. */
    readonly dir: string,
    readonly timeoutMs: number,
  ) {}

  /** A fresh request id for the event log. */
  id(): string {
    return `c${process.pid}-${++this.seq}-${Date.now().toString(36)}`;
  }

  /** A request head (and body) as raw bytes; Host, and the case/id headers, added for you. */
  request(
    method: string,
    target: string,
    options: { kase?: string; id?: string; headers?: Array<[string, string]>; body?: string; version?: string; close?: boolean } = {},
  ): string {
    const lines = [`${method} ${target} ${options.version ?? 'HTTP/1.1'}`, `Host: 127.0.0.1:${this.port}`];
    if (options.kase) lines.push(`X-Tsgi-Case: ${options.kase}`);
    if (options.id) lines.push(`X-Tsgi-Id: ${options.id}`);
    for (const [n, v] of options.headers ?? []) lines.push(`${n}: ${v}`);
    if (options.body !== undefined && !(options.headers ?? []).some(([n]) => /^(content-length|transfer-encoding)$/i.test(n))) {
      lines.push(`Content-Length: ${Buffer.byteLength(options.body, 'latin1')}`);
    }
    if (options.close ?? true) lines.push('Connection: close');
    return `${lines.join('\r\n')}\r\n\r\n${options.body ?? ''}`;
  }

  send(request: string | Uint8Array, options: { head?: boolean } = {}): Promise<RawResponse> {
    return exchange(this.port, request, { ...options, timeoutMs: this.timeoutMs });
  }

  open(): Promise<RawConnection> {
    return RawConnection.open(this.port, '127.0.0.1', this.timeoutMs);
  }

  /** Sends a request and parses the JSON the echo app answers with. */
  async echo(request: string): Promise<{ res: RawResponse; data: EchoData }> {
    const res = await this.send(request);
    expect(res.status === 200, `status ${res.status}, body ${JSON.stringify(res.body.toString('latin1').slice(0, 200))}`);
    return { res, data: JSON.parse(res.body.toString('utf8')) as EchoData };
  }

  events(id: string): AppEvent[] {
    return readEvents(this.dir, id);
  }

  /** Polls the event log until `done` holds for this id's events; returns them (throws on timeout). */
  async waitForEvents(id: string, done: (events: AppEvent[]) => boolean, what: string): Promise<AppEvent[]> {
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const events = this.events(id);
      if (done(events)) return events;
      if (Date.now() > deadline) throw new CheckFailure(`timed out waiting for ${what}; events: ${JSON.stringify(events.map((e) => e.event))}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Waits for the first close() of `id`, lets one more request pass through the server, then counts again. */
  async closeCount(id: string): Promise<number> {
    await this.waitForEvents(id, (events) => events.some((e) => e.event === 'close'), `close() of ${id}`);
    await this.send(this.request('GET', '/settle', { kase: 'fixed' }));
    return this.events(id).filter((e) => e.event === 'close').length;
  }

  /** A GET on a new connection still gets 200: the server stayed up. */
  async stillServes(): Promise<void> {
    const res = await this.send(this.request('GET', '/after', { kase: 'fixed' }));
    expect(res.status === 200 && res.body.length === 100, `the next request on a new connection got ${res.status}`);
  }
}

export interface EchoData {
  environ: Record<string, unknown> & { badKeys: string[] };
  body: string;
  bodyLength: number;
  largestRead: number;
  afterEnd: number;
}

/** For `.catch`: a connection the server closed before any response is null; anything else (a timeout) rethrows. */
export function closedBeforeResponse(error: unknown): null {
  if (error instanceof Error && error.message === 'the connection closed before a response') return null;
  throw error;
}

/** A check failed: the message says what was seen. */
export class CheckFailure extends Error {}

export function expect(condition: unknown, seen: string): asserts condition {
  if (!condition) throw new CheckFailure(seen);
}

/** One conformance check: the rule it verifies, a name, and the exchange. */
export interface Check {
  rule: RuleId;
  name: string;
  run(ctx: CheckContext): Promise<void>;
}
