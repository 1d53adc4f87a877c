import { WireError, type WireErrorArea } from '@tsgi/http1';
import { ProtocolError } from '../errors.js';

/** The gateway's stable codes for each area of the wire catalogue (status and close come from the catalogue). */
const GW_CODE: Record<WireErrorArea, string> = {
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

const REASON: Record<number, string> = {
  400: 'Bad Request',
  413: 'Content Too Large',
  414: 'URI Too Long',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  505: 'HTTP Version Not Supported',
};

/** A WireError from @tsgi/http1 as the gateway's ProtocolError (other errors pass through). */
export function toProtocolError(err: unknown): unknown {
  if (!(err instanceof WireError)) return err;
  const e = new ProtocolError(GW_CODE[err.area], `${REASON[err.status] ?? 'Bad Request'}: ${err.detail}`, err.status);
  (e as { cause?: unknown }).cause = err;
  return e;
}
