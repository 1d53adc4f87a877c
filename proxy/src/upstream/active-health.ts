import { connect } from 'node:net';
import { connectOptionsFor } from './unix-address.js';

/**
 * One HTTP probe: `GET path` on a fresh connection (never a pooled one, so a
 * probe can't disturb traffic). Resolves true for a 2xx/3xx status line
 * within `timeoutMs`.
 */
export function probe(host: string, port: number, path: string, hostHeader: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    let head = '';
    const socket = connect(connectOptionsFor(host, port));
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.setEncoding('latin1');
    socket.on('connect', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: tsgi-proxy-health\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: string) => {
      head += chunk;
      const eol = head.indexOf('\r\n');
      if (eol < 0) {
        if (head.length > 1024) finish(false);
        return;
      }
      finish(/^HTTP\/1\.[01] [23]\d\d/.test(head.slice(0, eol)));
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(false));
  });
}
