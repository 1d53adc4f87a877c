// Socket-model fixture (TSGI): every response names the worker pid (body and X-Worker).
//   /            trivial
//   /cpu?n=N     N rounds of SHA-256 (CPU-bound, like sample-app's /cpu)
//   /block?ms=N  blocks the event loop N ms
import { createHash } from 'node:crypto';

const pid = String(process.pid);
const body = new TextEncoder().encode(pid);
const headers = [['Content-Type', 'text/plain'], ['Content-Length', String(body.length)], ['X-Worker', pid]];

export const app = (environ, startResponse) => {
  const path = environ.PATH_INFO;
  if (path === '/cpu') {
    const n = Math.min(100_000, Number(new URLSearchParams(environ.QUERY_STRING).get('n') ?? 1000));
    let digest = Buffer.alloc(32);
    for (let i = 0; i < n; i++) digest = createHash('sha256').update(digest).digest();
  } else if (path === '/block') {
    const end = Date.now() + Number(new URLSearchParams(environ.QUERY_STRING).get('ms') ?? 3000);
    while (Date.now() < end);
  }
  startResponse('200 OK', headers);
  return [body];
};
