import { WireError, type WireErrorArea } from '@tsgi/http1';
import { ProxyError, type ProxyErrorCode } from './errors.js';

/** The proxy's stable codes for each area of the wire catalogue (status and close come from the catalogue). */
const PX_CODE: Record<WireErrorArea, ProxyErrorCode> = {
  request: 'PX_ERR_BAD_REQUEST',
  path: 'PX_ERR_BAD_REQUEST',
  host: 'PX_ERR_BAD_REQUEST',
  framing: 'PX_ERR_SMUGGLING',
  chunk: 'PX_ERR_BAD_CHUNK',
  uri: 'PX_ERR_URI_TOO_LONG',
  headers: 'PX_ERR_HEADERS_TOO_LARGE',
  body: 'PX_ERR_BODY_TOO_LARGE',
  expect: 'PX_ERR_EXPECTATION',
  coding: 'PX_ERR_NOT_IMPLEMENTED',
  version: 'PX_ERR_VERSION',
  response: 'PX_ERR_UPSTREAM_BAD_RESPONSE',
};

/** A WireError from @tsgi/http1 as the proxy's catalogued error (others pass through). */
export function toProxyError(err: unknown): unknown {
  if (!(err instanceof WireError)) return err;
  return new ProxyError(PX_CODE[err.area], err.detail.slice(err.detail.indexOf(':') + 1).trim() || undefined, { cause: err });
}
