// http-proxy (v1) with a keep-alive agent: the engine the original design named.
import { createServer, Agent } from 'node:http';
import httpProxy from 'http-proxy';
const target = `http://127.0.0.1:${process.argv[2]}`;
const proxy = httpProxy.createProxyServer({ target, agent: new Agent({ keepAlive: true, maxSockets: 256 }), xfwd: true });
proxy.on('error', (_err, _req, res) => {
  if (res.writeHead && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = createServer((req, res) => proxy.web(req, res));
server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
