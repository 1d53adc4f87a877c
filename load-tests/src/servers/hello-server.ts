// A baseline server for side-by-side runs: the seed's hello route on
// node:http, fastify or express, with N workers under node:cluster (the
// primary only forks, as a pre-fork master does). Prints "listening <port>".
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import express from 'express';
import Fastify from 'fastify';

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'node-http' },
    port: { type: 'string', default: '0' },
    workers: { type: 'string', default: '1' },
    'body-bytes': { type: 'string', default: '0' },
  },
});
const kind = values.kind as string;
const port = Number(values.port);
const workers = Math.max(1, Number(values.workers));
const HELLO = '<p>Hello, World!</p>';
// /bytes answers a fixed-size body, for scenarios that move bytes rather than requests.
const BIG = Buffer.alloc(Math.max(0, Number(values['body-bytes'])), 'x');

function nodeHandler(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/bytes') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
    res.end(BIG);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(HELLO) });
  res.end(HELLO);
}

async function startWorker(): Promise<void> {
  if (kind === 'node-http') {
    const srv = createServer({ keepAliveTimeout: 30_000 }, nodeHandler);
    srv.listen(port, '127.0.0.1', () => report(srv.address()));
  } else if (kind === 'fastify') {
    const app = Fastify({ logger: false, keepAliveTimeout: 30_000 });
    app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(HELLO));
    app.get('/bytes', async (_req, reply) => reply.type('application/octet-stream').send(BIG));
    await app.listen({ port, host: '127.0.0.1' });
    report(app.server.address());
  } else if (kind === 'express') {
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.get('/', (_req, res) => {
      res.type('html').send(HELLO);
    });
    app.get('/bytes', (_req, res) => {
      res.type('application/octet-stream').send(BIG);
    });
    const srv = app.listen(port, '127.0.0.1', () => report(srv.address()));
    srv.keepAliveTimeout = 30_000;
  } else {
    console.error(`hello-server: unknown --kind ${kind}`);
    process.exit(2);
  }
}

function report(addr: unknown): void {
  const p = typeof addr === 'object' && addr !== null && 'port' in addr ? (addr as { port: number }).port : port;
  console.log(`listening ${p} pid ${process.pid}`);
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  const stop = (): void => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  await startWorker();
}
