// The http-proxy edge variant for compare-edges: the library the design
// first named, with a keep-alive agent (its best configuration). Prints "listening <port>".
import { Agent, createServer } from 'node:http';
import { parseArgs } from 'node:util';
import httpProxy from 'http-proxy';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    target: { type: 'string' },
  },
});
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target: values.target, agent, xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if ('writeHead' in res && !res.headersSent) {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('bad gateway\n');
  } else {
    res.destroy();
  }
});
const srv = createServer({ keepAliveTimeout: 30_000 }, (req, res) => proxy.web(req, res));
srv.listen(Number(values.port), '127.0.0.1', () => {
  const addr = srv.address();
  console.log(`listening ${typeof addr === 'object' && addr ? addr.port : values.port}`);
});
process.on('SIGTERM', () => srv.close(() => process.exit(0)));
