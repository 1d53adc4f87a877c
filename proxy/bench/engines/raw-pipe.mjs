// Not a proxy: each client connection piped byte-for-byte to its own upstream
// connection. The ceiling for any Node design (no parsing, no pooling).
import { createServer, connect } from 'node:net';
const port = Number(process.argv[2]);
const server = createServer({ noDelay: true }, (client) => {
  const up = connect({ port, host: '127.0.0.1', noDelay: true });
  client.pipe(up).pipe(client);
  const kill = () => (client.destroy(), up.destroy());
  client.on('error', kill);
  up.on('error', kill);
});
server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
process.on('SIGINT', () => process.exit(0));
