import { getGlobalDispatcher, type Dispatcher } from 'undici';

/** A response to an ordinary request, read in full. */
export interface HttpReply {
  status: number;
  /** Lower-cased names; a repeated field keeps every value. */
  headers: Map<string, string[]>;
  /** Every value of a field, joined with ", " (undefined when absent). */
  header(name: string): string | undefined;
  body: Buffer;
}

export interface HttpRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  host?: string;
}

/**
 * One well-formed request through undici on a connection of its own that
 * closes after it (so a server under test can shut down at once). `target`
 * goes on the request line as given. Raw-byte cases use `rawExchange`.
 */
export async function httpRequest(port: number, target: string, options: HttpRequestOptions = {}): Promise<HttpReply> {
  // The dispatcher API takes the path as given (a URL would normalise `/a/../b` and `%2e%2e`).
  const res = await getGlobalDispatcher().request({
    origin: `http://${options.host ?? '127.0.0.1'}:${port}`,
    path: target,
    method: (options.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: options.headers,
    body: options.body,
    reset: true,
  });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers = new Map<string, string[]>();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers.set(name.toLowerCase(), Array.isArray(value) ? value : [value]);
  }
  return { status: res.statusCode, headers, header: (name) => headers.get(name.toLowerCase())?.join(', '), body };
}
