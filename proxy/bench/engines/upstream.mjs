// The shared upstream: node:http, keep-alive, a small fixed response.
import { createServer } from 'node:http';
const body = Buffer.from('hello from upstream\n');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
