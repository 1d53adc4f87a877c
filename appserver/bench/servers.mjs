// Standalone baselines: node:http, the bare TSGI gateway and fastify serving the same trivial app on the port in argv[3].
import http from 'node:http';

const [kind, port] = process.argv.slice(2);
if (kind === 'node') {
  http
    .createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '13' }).end('Hello, World!'))
    .listen(Number(port), '127.0.0.1', () => console.log('ready'));
} else if (kind === 'gateway') {
  // The same TSGI app on the bare gateway server (no appserver worker hooks): shows what the hooks cost.
  const { serve } = await import('@tsgi/gateway');
  const { app } = await import('./hello-tsgi.mjs');
  await serve(app, { port: Number(port), host: '127.0.0.1' });
  console.log('ready');
} else if (kind === 'fastify') {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/', async (_req, reply) => reply.type('text/plain').send('Hello, World!'));
  await app.listen({ port: Number(port), host: '127.0.0.1' });
  console.log('ready');
}
