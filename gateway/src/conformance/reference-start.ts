// Starts the reference server with an app module: the start script the
// conformance kit uses for @tsgi/gateway itself.
//   node reference-start.js <app module path> <port> [host]
import { pathToFileURL } from 'node:url';
import { serve } from '../server/create-server.js';
import type { App } from '../types.js';

const [modulePath, port, host = '127.0.0.1'] = process.argv.slice(2);
if (!modulePath || !/^\d+$/.test(port ?? '')) {
  process.stderr.write('usage: reference-start <app module path> <port> [host]\n');
  process.exit(2);
}
const mod = (await import(pathToFileURL(modulePath).href)) as { app?: App; default?: App };
const app = mod.app ?? mod.default;
if (typeof app !== 'function') {
  process.stderr.write(`reference-start: ${modulePath} exports no app (named \`app\` or default)\n`);
  process.exit(4);
}
const running = await serve(app, { port: Number(port), host });
process.stdout.write(`listening on ${running.url}\n`);
const stop = () => void running.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
