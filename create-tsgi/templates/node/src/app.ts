import type { Server } from 'node:http';
import { hostname } from 'node:os';
import express from 'express';
import { WebSocketServer } from 'ws';

// An ordinary Express app: tsgi-appserver hosts it with `--interface node`
// (TSGI_INTERFACE=node in the images), one copy per worker.
export const app = express();
app.disable('x-powered-by');

// Which process answered: the load and container checks tell replicas apart by it.
const servedBy = `${hostname()}:${process.pid}`;
app.use((_req, res, next) => {
  res.setHeader('X-Served-By', servedBy);
  next();
});

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' })[c]!);

app.get('/', (_req, res) => {
  res.type('html').send('<p>Hello, World!</p>');
});

app.get('/post/:postId', (req, res, next) => {
  if (!/^\d+$/.test(req.params.postId)) return next();
  res.type('html').send(`Post ${Number(req.params.postId)}`);
});

app.get(['/hello', '/hello/:name'], (req, res) => {
  const name = req.params.name;
  const greeting = name ? `Hello ${escapeHtml(name)}!` : 'Hello, World!';
  res.type('html').send(`<!doctype html><title>Hello from TSGI</title><h1>${greeting}</h1>`);
});

app.get('/api/json', (_req, res) => {
  res.json({ message: 'Hello, World!', framework: 'express' });
});

app.get('/healthz', (_req, res) => {
  res.json({ status: 'ok' });
});

/**
 * tsgi-appserver calls this once per worker server, before it listens: the
 * WebSocket route `/ws` echoes every message back. Upgrades never reach Express.
 */
export function onServer(server: Server): void {
  const sockets = new WebSocketServer({ server, path: '/ws' });
  sockets.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }));
  });
}
