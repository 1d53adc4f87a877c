import type { ServerResponse } from 'node:http';

/**
 * The one place the appserver reads a private field of Node's: headers
 * passed straight to `writeHead()` (as Fastify does) are not kept by
 * node:http, only serialised into `_header`, the response head as sent; no
 * public API returns it. Checked on Node 22 and 24 by
 * test/node-internals.test.ts; without the field the value is undefined and
 * the access log shows '-'.
 */
export function serializedHeader(res: ServerResponse, name: string): string | undefined {
  const head = (res as unknown as { _header?: unknown })._header;
  if (typeof head !== 'string') return undefined;
  const m = new RegExp(`\\r\\n${name.replace(/[^a-z0-9-]/gi, '')}:[ \\t]*([^\\r]*)`, 'i').exec(head);
  return m ? m[1] : undefined;
}
