import { WireError, type WireErrorArea } from '@tsgi/http1';
import { ProtocolError, type ProtocolErrorCode } from '../errors.js';

/**
 * The gateway's stable codes for each area of the wire catalogue; each status
 * in the gateway's catalogue equals the wire's for that area (a test checks
 * it, error-catalogues.test.ts). `response` never comes up here (the gateway parses no responses).
 */
const GW_CODE: Record<WireErrorArea, ProtocolErrorCode> = {
  request: 'GW_ERR_BAD_REQUEST',
  path: 'GW_ERR_BAD_PATH',
  host: 'GW_ERR_BAD_HOST',
  framing: 'GW_ERR_SMUGGLING',
  chunk: 'GW_ERR_BAD_CHUNK',
  uri: 'GW_ERR_URI_TOO_LONG',
  headers: 'GW_ERR_HEADERS_TOO_LARGE',
  body: 'GW_ERR_BODY_TOO_LARGE',
  expect: 'GW_ERR_EXPECTATION',
  coding: 'GW_ERR_UNSUPPORTED_TE',
  version: 'GW_ERR_VERSION',
  response: 'GW_ERR_BAD_REQUEST',
};

/** A WireError from @tsgi/http1 as the gateway's ProtocolError (other errors pass through). */
export function toProtocolError(err: unknown): unknown {
  if (!(err instanceof WireError)) return err;
  return new ProtocolError(GW_CODE[err.area], err.detail, { cause: err });
}
