// A deliberately non-conforming TSGI server for the conformance kit's own
// tests: it buffers the whole response before sending and never calls
// close(), so the kit must report RESP-6 and APP-3 as failed.
//   node buffering-server.ts <app module path> <port>
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { App, Environ, ResponseHeaders } from '@tsgi/gateway';

const [modulePath, port] = process.argv.slice(2);
if (modulePath === undefined || port === undefined) {
  console.error('usage: buffering-server.ts <app module path> <port>');
  process.exit(2);
}
const mod = (await import(pathToFileURL(modulePath).href)) as { app: App };

createServer((req, res) => {
  // A request this fixture cannot map (a bad %-escape) drops its connection, not the server.
  answer(req, res).catch(() => res.destroy());
}).listen(Number(port), '127.0.0.1');

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const environ: Record<string, unknown> = {
    REQUEST_METHOD: req.method,
    SCRIPT_NAME: '',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    SERVER_NAME: '127.0.0.1',
    SERVER_PORT: port,
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
    REMOTE_ADDR: req.socket.remoteAddress ?? '',
    'tsgi.version': [1, 0],
    'tsgi.url_scheme': 'http',
    'tsgi.input': {
      read: async () => new Uint8Array(0),
      readLine: async () => new Uint8Array(0),
      async *[Symbol.asyncIterator]() {},
    },
    'tsgi.errors': { write: () => undefined, flush: () => undefined },
    'tsgi.multithread': false,
    'tsgi.multiprocess': false,
    'tsgi.run_once': false,
    'tsgi.input_terminated': true,
  };
  for (const [name, value] of Object.entries(req.headers)) {
    environ[`HTTP_${name.toUpperCase().replace(/-/g, '_')}`] = Array.isArray(value) ? value.join(', ') : value;
  }
  let status = '500 Internal Server Error';
  let headers: ResponseHeaders = [];
  const parts: Uint8Array[] = [];
  try {
    const body = await mod.app(environ as Environ, (s, h) => {
      status = s;
      headers = h;
      return async (chunk) => void parts.push(chunk);
    });
    for await (const chunk of body) parts.push(chunk);
  } catch {
    status = '500 Internal Server Error';
  }
  res.writeHead(Number(status.slice(0, 3)), headers.flat());
  res.end(Buffer.concat(parts));
}
