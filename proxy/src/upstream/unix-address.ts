import type { NetConnectOpts } from 'node:net';

/** The prefix nginx and gunicorn use for unix domain socket addresses. */
export const UNIX_PREFIX = 'unix:';

/** Whether an upstream address is `unix:/absolute/path` (or a relative path, resolved by the OS). */
export function isUnixAddress(address: string): boolean {
  return address.startsWith(UNIX_PREFIX) && address.length > UNIX_PREFIX.length && !/[\0\r\n]/.test(address);
}

/**
 * Connect options for an endpoint whose host may be a `unix:` address
 * (the port is then ignored): nginx `server unix:/run/app.sock;`.
 */
export function connectOptionsFor(host: string, port: number): NetConnectOpts {
  if (host.startsWith(UNIX_PREFIX)) return { path: host.slice(UNIX_PREFIX.length), noDelay: true };
  return { host, port, noDelay: true };
}

/** How an endpoint is named in logs, metrics and the admin view. */
export function endpointId(host: string, port: number): string {
  if (host.startsWith(UNIX_PREFIX)) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
