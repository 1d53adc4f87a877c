import { serializeErrorAnswer } from '@tsgi/http1';
import { dateHeaderLine } from './http-date.js';

/** A complete server-made error response: short text body, `Connection: close` (SRV-4). */
export function errorResponse(code: number, message: string): Buffer {
  return serializeErrorAnswer({ status: code, contentType: 'text/plain; charset=utf-8', body: `${message}\n`, lines: dateHeaderLine(), close: true });
}

export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
