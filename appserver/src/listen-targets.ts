import { lstatSync, unlinkSync } from 'node:fs';
import { createConnection, type ListenOptions } from 'node:net';
import { BindError } from './errors.js';

/** A resolved `--bind`: TCP host/port or a unix socket path. */
export type ListenTarget = { host: string; port: number } | { path: string };

/** `127.0.0.1:8000`, `[::1]:8000`, `:8000` (all interfaces), `8000`, `unix:/run/app.sock`. */
export function parseBind(bind: string): ListenTarget {
  if (bind.startsWith('unix:')) return { path: bind.slice(5) };
  if (/^\d+$/.test(bind)) return { host: '0.0.0.0', port: Number(bind) };
  const colon = bind.lastIndexOf(':');
  let host = bind.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host: host === '' ? '0.0.0.0' : host, port: Number(bind.slice(colon + 1)) };
}

export function describeTarget(t: ListenTarget): string {
  if ('path' in t) return `unix:${t.path}`;
  return t.host.includes(':') ? `http://[${t.host}]:${t.port}` : `http://${t.host}:${t.port}`;
}

/**
 * Makes a unix socket path bindable as gunicorn does: a socket file left by a
 * dead process (nothing answers on it) is removed; a live socket or a path
 * that is not a socket is left alone and refused with a BindError naming `flag`.
 */
export async function clearStaleUnixSocket(path: string, flag: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return; // nothing there: listen creates it (or fails with its own reason)
  }
  const address = `unix:${path}`;
  if (!stat.isSocket()) throw new BindError(flag, address, new Error('the path exists and is not a socket; not removing it'));
  const live = await new Promise<boolean>((resolve) => {
    const c = createConnection({ path });
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (live) throw new BindError(flag, address, Object.assign(new Error('in use'), { code: 'EADDRINUSE' }));
  unlinkSync(path);
}

/** `reusePort` on `server.listen` arrived in Node 22.12 (and 23.1). */
export function reusePortSupported(version = process.versions.node): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}

export function listenOptions(t: ListenTarget, reusePort: boolean): ListenOptions {
  if ('path' in t) return { path: t.path };
  // exclusive: each worker owns its socket; the kernel spreads connections.
  return reusePort ? ({ host: t.host, port: t.port, exclusive: true, reusePort: true } as ListenOptions) : { host: t.host, port: t.port };
}
