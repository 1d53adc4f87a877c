import type { Socket } from 'node:net';
import { ProxyError } from '../errors.js';
import { parseProxyHeader, type ProxyHeader } from './proxy-protocol.js';

/**
 * Reads the PROXY protocol header off a freshly accepted socket. Resolves
 * with the header once complete; the bytes after it are put back
 * (`unshift`) and the socket is left paused for whoever reads next (the
 * HTTP/1.1 parser or the TLS layer). Rejects, after destroying the socket,
 * on a malformed header, EOF or when `timeoutMs` passes first: a listener
 * configured for PROXY protocol never serves a connection without one.
 */
export function readProxyHeader(socket: Socket, timeoutMs: number): Promise<ProxyHeader> {
  return new Promise<ProxyHeader>((resolve, reject) => {
    let buf: Buffer | null = null;
    let settled = false;
    const fail = (err: ProxyError): void => {
      if (settled) return;
      cleanup();
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ProxyError('PX_ERR_PROXY_PROTOCOL', 'not received in time')), timeoutMs);
    const onData = (chunk: Buffer): void => {
      buf = buf === null ? chunk : Buffer.concat([buf, chunk]);
      let header: ProxyHeader | null;
      try {
        header = parseProxyHeader(buf);
      } catch (err) {
        fail(err as ProxyError);
        return;
      }
      if (header === null) return;
      cleanup();
      socket.pause();
      if (header.length < buf.length) socket.unshift(buf.subarray(header.length));
      resolve(header);
    };
    const onEnd = (): void => fail(new ProxyError('PX_ERR_PROXY_PROTOCOL', 'connection closed before the header'));
    function cleanup(): void {
      settled = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
    }
    socket.on('data', onData);
    socket.once('end', onEnd);
    // Stays attached: a reset after the header must not become an uncaught error before the next reader attaches.
    socket.on('error', onEnd);
  });
}
