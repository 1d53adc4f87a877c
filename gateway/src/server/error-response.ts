import { dateHeaderLine } from './http-date.js';
import { REASONS } from './status-line.js';

/** A complete server-made error response: short text body, `Connection: close` (SRV-4). */
export function errorResponse(code: number, message: string): Buffer {
  const body = `${message}\n`;
  const reason = REASONS[code] ?? 'Error';
  return Buffer.from(
    `HTTP/1.1 ${code} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `${dateHeaderLine()}Connection: close\r\n\r\n${body}`,
    'latin1',
  );
}

export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
