import { RawConnection, parseResponses, type RawResponse as WireResponse } from '@tsgi/test-support';

export { header } from '@tsgi/test-support';

/** One HTTP/1.x response parsed from raw bytes (the shared client's, with the campaign's `truncated`). */
export interface RawResponse extends WireResponse {
  /** The response ended before its declared length (cut by the peer). */
  truncated: boolean;
}

/** What a raw exchange produced. */
export interface RawExchange {
  responses: RawResponse[];
  /** The server closed the connection (FIN or RST) before our timeout. */
  closed: boolean;
  /** Our read timeout fired with the connection still open. */
  timedOut: boolean;
  /** Everything received. */
  raw: Buffer;
  /** The connect failed (its error code). */
  error?: string;
}

export interface RawOptions {
  host?: string;
  /** Stop waiting after this long with no close (default 5 s). */
  timeoutMs?: number;
  /** Return as soon as this many complete responses arrived (default: wait for close or timeout). */
  responses?: number;
  /** The request was HEAD (no bodies in responses). */
  head?: boolean;
}

async function responsesIn(raw: Buffer, head: boolean | undefined): Promise<RawResponse[]> {
  try {
    return (await parseResponses(raw, { head: head === true })).map((r) => ({ ...r, truncated: !r.complete }));
  } catch {
    return []; // not HTTP
  }
}

/**
 * Sends raw bytes (parts written in order) on a fresh connection and collects
 * what comes back, with @tsgi/test-support's RawConnection; never throws.
 */
export async function rawExchange(port: number, payload: Buffer | string | Array<Buffer | string>, opts: RawOptions = {}): Promise<RawExchange> {
  let conn: RawConnection;
  try {
    conn = await RawConnection.open(port, opts.host ?? '127.0.0.1', opts.timeoutMs ?? 5000);
  } catch (err) {
    return { responses: [], closed: true, timedOut: false, raw: Buffer.alloc(0), error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
  try {
    for (const part of Array.isArray(payload) ? payload : [payload]) conn.write(part);
    const want = opts.responses;
    if (want !== undefined) {
      const enough = async (unread: Buffer): Promise<boolean> => (await responsesIn(unread, opts.head)).filter((r) => !r.truncated).length >= want;
      const reached = await conn.waitFor(enough, `${want} responses`).catch(() => false);
      // Done on the count, not on a close: as before, such an exchange is neither closed nor timed out.
      if (reached) return { responses: await responsesIn(conn.unread, opts.head), closed: false, timedOut: false, raw: Buffer.from(conn.unread) };
    }
    const { bytes, closed } = await conn.readUntilClosed();
    return { responses: await responsesIn(bytes, opts.head), closed, timedOut: !closed, raw: bytes };
  } finally {
    conn.destroy();
  }
}

/** A plain good GET over a fresh connection; resolves the status (0 on failure). */
export async function goodRequest(port: number, path = '/', timeoutMs = 5000): Promise<number> {
  const ex = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`, { timeoutMs, responses: 1 });
  return ex.responses[0]?.status ?? 0;
}
