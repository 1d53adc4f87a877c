import { messageOf } from '@tsgi/errors';
import type { Socket } from 'node:net';
import { PX_ERRORS, ProxyError, type ProxyErrorCode } from '../errors.js';
import type { ClientInfo } from '../listener/edge-listener.js';
import type { ExchangeRecord } from '../route/proxy-context.js';
import { encodeProxyV1, encodeProxyV2, proxiedAddressOf } from '../listener/proxy-protocol.js';
import { toProxyError } from '../wire.js';

export function isProxyErrorCode(code: string): code is ProxyErrorCode {
  return Object.hasOwn(PX_ERRORS, code);
}

/** Any thrown value as a catalogued ProxyError (wire errors mapped, anything else a 400). */
export function asProxyError(err: unknown): ProxyError {
  const e = toProxyError(err);
  if (e instanceof ProxyError) return e;
  return new ProxyError('PX_ERR_BAD_REQUEST', messageOf(e));
}

export function codeOf(err: ProxyError): ProxyErrorCode {
  return isProxyErrorCode(err.code) ? err.code : 'PX_ERR_BAD_REQUEST';
}

export function errorStatusOf(code: ProxyErrorCode): number | undefined {
  return PX_ERRORS[code].status;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`, so logs, XFF and trust checks see one form. */
export function normalizePeer(addr: string): string {
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** The PROXY protocol header naming the client, first on a fresh upstream connection. */
export function writeProxyHeader(sock: Socket, version: 'v1' | 'v2', info: ClientInfo): void {
  const addr = proxiedAddressOf(info.address, info.port, info.localAddress, info.localPort);
  sock.write(version === 'v2' ? encodeProxyV2(addr) : encodeProxyV1(addr));
}

/** The access-log record of a request refused before routing (nothing about it is trusted enough to log). */
export function refusalRecord(remote: string, status: number, error: ProxyErrorCode): ExchangeRecord {
  return { method: '-', target: '-', host: '-', remote, status, group: '-', endpoint: '-', attempts: 0, durationMs: 0, bytesOut: 0, error, traceId: '-', requestId: '-' };
}
