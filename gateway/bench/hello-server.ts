// One benchmark target per process: `tsgi` (serve()), `node` (bare node:http)
// or `adapter` (toNodeHandler on node:http). Prints `listening <port>`.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve, toNodeHandler, type App } from '@tsgi/gateway';

const body = Buffer.from('Hello, World!');
const hello: App = (_environ, startResponse) => {
  startResponse('200 OK', [['Content-Type', 'text/plain']]);
  return [body];
};

const variant = process.argv[2];
let port: number;
if (variant === 'tsgi') {
  port = (await serve(hello)).port;
} else {
  const handler =
    variant === 'adapter'
      ? toNodeHandler(hello)
      : (_req: IncomingMessage, res: ServerResponse): void => {
          res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
          res.end(body);
        };
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
}
process.stdout.write(`listening ${port}\n`);
