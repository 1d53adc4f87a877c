import { connect, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

/** A connection the test holds open, and when the server closed it. */
export interface HeldConnection {
  sock: Socket;
  closedAt?: number;
  /** Bytes the server sent (a 408 or 400 before closing is allowed). */
  received: number;
}

function hold(port: number, onConnect: (s: Socket) => void): Promise<HeldConnection> {
  return new Promise((resolveConn, reject) => {
    const sock = connect({ port, host: '127.0.0.1' });
    const h: HeldConnection = { sock, received: 0 };
    sock.on('data', (d) => {
      h.received += d.length;
    });
    sock.on('close', () => {
      h.closedAt ??= Date.now();
    });
    sock.on('error', () => undefined);
    sock.once('connect', () => {
      onConnect(sock);
      resolveConn(h);
    });
    sock.once('error', reject);
  });
}

/**
 * Slowloris: `n` connections that send a request head one byte at a time
 * every `intervalMs`, never finishing it. The server must drop them.
 */
export async function slowloris(port: number, n: number, intervalMs = 300): Promise<{ conns: HeldConnection[]; stop(): void }> {
  const head = 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(10_000);
  const conns: HeldConnection[] = [];
  for (let i = 0; i < n; i++) conns.push(await hold(port, (s) => s.write(head.slice(0, 20))));
  let pos = 20;
  const timer = setInterval(() => {
    pos++;
    for (const c of conns) if (c.closedAt === undefined && !c.sock.destroyed) c.sock.write(head.slice(pos - 1, pos));
  }, intervalMs);
  return {
    conns,
    stop: () => {
      clearInterval(timer);
      for (const c of conns) c.sock.destroy();
    },
  };
}

/**
 * `n` keep-alive connections that each make one request, read the answer and
 * then sit idle. Opened in batches so the listen backlog is not the test.
 */
export async function idleKeepAlive(port: number, n: number, batch = 100): Promise<HeldConnection[]> {
  const conns: HeldConnection[] = [];
  for (let i = 0; i < n; i += batch) {
    const group = await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, () =>
        hold(port, (s) => s.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')),
      ),
    );
    conns.push(...group);
  }
  // Wait until each got its response bytes (or was closed).
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && conns.some((c) => c.received === 0 && c.closedAt === undefined)) await delay(50);
  return conns;
}

/** Waits until every connection was closed by the server, or the deadline; returns how many are still open. */
export async function waitAllClosed(conns: HeldConnection[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const open = (): number => conns.filter((c) => c.closedAt === undefined).length;
  while (Date.now() < deadline && open() > 0) await delay(100);
  return open();
}

/** Sends `total` bytes of body, one byte every `intervalMs`, and resolves the raw answer. */
export function slowBody(port: number, path: string, total: number, intervalMs: number): Promise<string> {
  return new Promise((resolveBody) => {
    const sock = connect({ port, host: '127.0.0.1' });
    let out = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    sock.on('data', (d) => {
      out += d.toString('latin1');
    });
    const finish = (): void => {
      clearInterval(timer);
      resolveBody(out);
    };
    sock.on('close', finish);
    sock.on('error', () => undefined);
    sock.once('connect', () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${total}\r\nConnection: close\r\n\r\n`);
      timer = setInterval(() => {
        if (sent >= total) {
          clearInterval(timer);
          return;
        }
        sock.write('x');
        sent++;
      }, intervalMs);
    });
  });
}

/** A client that asks for a big response and never reads it; returns a handle to end it. */
export function neverReader(port: number, path: string): Promise<Socket> {
  return new Promise((resolveSock, reject) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.on('error', () => undefined);
    sock.once('connect', () => {
      sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      sock.pause();
      resolveSock(sock);
    });
    sock.once('error', reject);
  });
}

/**
 * Declares a `declared`-byte body, sends `sent` bytes of it and then nothing.
 * Resolves what the server answered, whether it closed the connection, and
 * when (ms after the last byte), or closedByServer false after `untilMs`.
 */
export function stalledBody(
  port: number,
  path: string,
  declared: number,
  sent: number,
  untilMs: number,
): Promise<{ answer: string; closedByServer: boolean; afterMs: number }> {
  return new Promise((resolveBody) => {
    const sock = connect({ port, host: '127.0.0.1' });
    let answer = '';
    let closedByServer = false;
    let sentAt = Date.now();
    const giveUp = setTimeout(() => sock.destroy(), untilMs);
    sock.on('data', (d) => {
      answer += d.toString('latin1');
    });
    sock.on('end', () => {
      closedByServer = true;
    });
    sock.on('error', () => {
      closedByServer = true;
    });
    sock.on('close', () => {
      clearTimeout(giveUp);
      resolveBody({ answer, closedByServer, afterMs: Date.now() - sentAt });
    });
    sock.once('connect', () => {
      sock.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${declared}\r\n\r\n${'x'.repeat(sent)}`, () => {
        sentAt = Date.now();
      });
    });
  });
}

/**
 * Reads what a paused socket (see neverReader) has buffered and whatever
 * follows, until the server closes it or `untilMs` passes.
 */
export function readToEnd(sock: Socket, untilMs: number): Promise<{ bytes: number; closedByServer: boolean }> {
  return new Promise((resolveRead) => {
    let bytes = 0;
    let closedByServer = false;
    const giveUp = setTimeout(() => sock.destroy(), untilMs);
    sock.on('data', (d) => {
      bytes += d.length;
    });
    sock.on('end', () => {
      closedByServer = true;
    });
    sock.on('error', () => {
      closedByServer = true;
    });
    sock.once('close', () => {
      clearTimeout(giveUp);
      resolveBody();
    });
    const resolveBody = (): void => resolveRead({ bytes, closedByServer });
    if (sock.destroyed) resolveBody();
    else sock.resume();
  });
}

/**
 * A slow-POST flood: `n` connections that each declare a `declared`-byte body, then send one byte every
 * `everyMs`. Every connection is opened before this resolves; `refused` counts those answered 503.
 */
export async function slowPostFlood(port: number, path: string, n: number, declared: number, everyMs: number): Promise<{ conns: HeldConnection[]; refused(): number; stop(): void }> {
  const head = `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${declared}\r\n\r\nx`;
  const conns: HeldConnection[] = [];
  const answers = new Map<HeldConnection, string>();
  for (let i = 0; i < n; i += 50) {
    const group = await Promise.all(Array.from({ length: Math.min(50, n - i) }, () => hold(port, (s) => s.write(head))));
    for (const c of group) {
      answers.set(c, '');
      c.sock.on('data', (d: Buffer) => answers.set(c, (answers.get(c) ?? '') + d.toString('latin1')));
    }
    conns.push(...group);
  }
  const timer = setInterval(() => {
    for (const c of conns) if (c.closedAt === undefined && !c.sock.destroyed) c.sock.write('x');
  }, everyMs);
  return {
    conns,
    refused: () => [...answers.values()].filter((a) => a.startsWith('HTTP/1.1 503')).length,
    stop: () => {
      clearInterval(timer);
      for (const c of conns) c.sock.destroy();
    },
  };
}
