import type { Socket } from 'node:net';
import { RawConnection, parseResponses, type RawResponse } from '@tsgi/gateway/conformance';

export interface RawExchangeOptions {
  host?: string;
  /** Gives up this long after connecting (the reply then says `closedByServer: false`). Default 5000. */
  timeoutMs?: number;
  /** Half-close after writing: `true` at once, a number after that many ms (the server sees the client's FIN). */
  halfClose?: boolean | number;
  /** Stop once this many complete responses arrived, after `settleMs` more for anything unexpected. */
  stopAfter?: number;
  /** Default 150. */
  settleMs?: number;
  /** The request was HEAD: responses carry no body. */
  head?: boolean;
}

/** What came back on one raw connection. */
export interface RawReply {
  /** Every byte received. */
  raw: Buffer;
  /** The same bytes as latin1 text. */
  text: string;
  /** The first status line's code, 0 when none came. */
  status: number;
  /** The complete responses in `raw`, in order (pipelined answers included). */
  responses: RawResponse[];
  /** The server closed (FIN or reset) before we gave up. */
  closedByServer: boolean;
  /** Milliseconds from the last byte written to the close (or to giving up). */
  ms: number;
}

/**
 * Writes `bytes` on a fresh connection to 127.0.0.1:port and reads until the
 * server closes it, until `stopAfter` responses arrived (plus `settleMs`), or
 * until `timeoutMs` passed; never throws for a slow or silent server, only
 * for a refused connection.
 */
export async function rawExchange(port: number, bytes: string | Uint8Array, options: RawExchangeOptions = {}): Promise<RawReply> {
  const conn = await RawConnection.open(port, options.host ?? '127.0.0.1', options.timeoutMs ?? 5000);
  return exchangeOn(conn, bytes, options);
}

/** `rawExchange` over a socket `open()` makes (TLS, say); a refused connect reads as a close with nothing received. */
export function rawExchangeOver(open: () => Socket, bytes: string | Uint8Array, options: RawExchangeOptions = {}): Promise<RawReply> {
  return exchangeOn(RawConnection.attach(open(), options.timeoutMs ?? 5000), bytes, options);
}

async function exchangeOn(conn: RawConnection, bytes: string | Uint8Array, options: RawExchangeOptions): Promise<RawReply> {
  let halfCloseTimer: NodeJS.Timeout | undefined;
  try {
    await conn.send(bytes);
    const wrote = Date.now();
    if (options.halfClose === true) conn.endWrite();
    else if (typeof options.halfClose === 'number') halfCloseTimer = setTimeout(() => conn.endWrite(), options.halfClose);
    const received: Buffer[] = [];
    let closed: boolean;
    if (options.stopAfter === undefined) {
      const rest = await conn.readUntilClosed();
      received.push(rest.bytes);
      closed = rest.closed;
    } else {
      const want = options.stopAfter;
      const enough = async (unread: Buffer): Promise<boolean> => (await complete(unread, options.head)).length >= want;
      let reached = false;
      try {
        reached = await conn.waitFor(enough, `${want} responses`);
      } catch {
        // the time limit passed first
      }
      if (reached) conn.setDeadline(options.settleMs ?? 150);
      const rest = await conn.readUntilClosed();
      received.push(rest.bytes);
      closed = rest.closed;
    }
    const raw = Buffer.concat(received);
    const text = raw.toString('latin1');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
    return { raw, text, status: status ? Number(status[1]) : 0, responses: await complete(raw, options.head), closedByServer: closed, ms: Date.now() - wrote };
  } finally {
    clearTimeout(halfCloseTimer);
    conn.destroy();
  }
}

/** The complete responses in `bytes` (one whose body was cut short is left out; none when the bytes are not HTTP). */
async function complete(bytes: Buffer, head: boolean | undefined): Promise<RawResponse[]> {
  try {
    return (await parseResponses(bytes, { head: head === true })).filter((r) => r.complete);
  } catch {
    return [];
  }
}
