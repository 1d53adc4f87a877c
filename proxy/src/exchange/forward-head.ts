import { PROXY_HOP_BY_HOP_FIELDS, type RequestHead } from '@tsgi/http1';

/** What the upstream head needs besides the parsed request. */
export interface ForwardInfo {
  /** The client's address as the proxy saw it. */
  peer: string;
  /** The peer may set X-Forwarded-* (it is a trusted proxy). */
  trusted: boolean;
  proto: 'http' | 'https';
  via: string;
  /** Lines appended as they are (trace context); with it the client's traceparent/tracestate/x-request-id are replaced. */
  extra?: string;
  /** A chunked body read whole at the edge: sent with this Content-Length instead of re-chunked. */
  bodyLength?: number;
}

/**
 * Serialises the request head sent upstream: the client's fields in their
 * order and spelling, minus hop-by-hop fields (fixed list plus names listed in
 * Connection), with X-Forwarded-For/-Proto/-Host and Via set per the trust
 * setting. Untrusted peers' X-Forwarded-* and Forwarded are dropped, never
 * passed on, so a client cannot spoof its address.
 */
export function buildUpstreamHead(req: RequestHead, info: ForwardInfo): string {
  let s = `${req.method} ${req.target} HTTP/1.1\r\nHost: ${req.host}\r\n`;
  let xff: string | null = null;
  let xfp: string | null = null;
  let xfh: string | null = null;
  const { names, lower, values, connectionTokens } = req;
  for (let i = 0; i < names.length; i++) {
    // names, lower and values are parallel arrays.
    const low = lower[i]!;
    const value = values[i]!;
    // Host is written first from the parsed head; hop-by-hop fields never pass (framing and Upgrade are set below).
    if (low === 'host' || PROXY_HOP_BY_HOP_FIELDS.has(low)) continue;
    switch (low) {
      case 'x-forwarded-for':
        if (info.trusted) xff = xff === null ? value : `${xff}, ${value}`;
        continue;
      case 'x-forwarded-proto':
        if (info.trusted && xfp === null) xfp = value;
        continue;
      case 'x-forwarded-host':
        if (info.trusted && xfh === null) xfh = value;
        continue;
      case 'forwarded':
        if (!info.trusted) continue;
        break;
      case 'traceparent':
      case 'tracestate':
      case 'x-request-id':
        if (info.extra !== undefined) continue;
        break;
      default:
        if (connectionTokens !== null && connectionTokens.includes(low)) continue;
    }
    s += `${names[i]}: ${value}\r\n`;
  }
  s += `X-Forwarded-For: ${xff === null ? info.peer : `${xff}, ${info.peer}`}\r\nX-Forwarded-Proto: ${xfp ?? info.proto}\r\nX-Forwarded-Host: ${xfh ?? req.host}\r\nVia: ${req.minor === 1 ? '1.1' : '1.0'} ${info.via}\r\n`;
  if (info.extra !== undefined) s += info.extra;
  if (req.chunked) s += info.bodyLength === undefined ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${info.bodyLength}\r\n`;
  if (req.upgrade !== '') s += `Connection: upgrade\r\nUpgrade: ${req.upgrade}\r\n`;
  return `${s}\r\n`;
}
