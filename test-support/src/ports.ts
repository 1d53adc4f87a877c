import { createServer, type Server } from 'node:net';

/** A server holding a port of 127.0.0.1: for a test that needs an address already in use. Close it when done. */
export async function busyPort(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return { server, port: (server.address() as { port: number }).port };
}

/**
 * `n` distinct ports of 127.0.0.1 nothing listens on now: all bound at once, then released. For programs that
 * take fixed ports (nginx, tsgi-stack, a listener a reload adds) or a connection that must be refused.
 */
export async function freePorts(n: number): Promise<number[]> {
  const held = await Promise.all(Array.from({ length: n }, () => busyPort()));
  await Promise.all(held.map(({ server }) => new Promise((closed) => server.close(closed))));
  return held.map(({ port }) => port);
}

/** One port of 127.0.0.1 nothing listens on now (bound, then released). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}
