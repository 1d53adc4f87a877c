import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import { formatEntry } from '@tsgi/errors';
import type { Logger } from 'pino';
import { APPSERVER_ERRORS } from './errors.js';
import { socketFd } from './node-internals.js';

/** At most one "out of file descriptors" line per this long while the process stays at its limit. */
const REPEAT_MS = 30_000;

/** The soft RLIMIT_NOFILE from /proc/self/limits (Linux); undefined where unknown or unlimited. */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'latin1')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isSafeInteger(soft) && soft > 0 ? soft : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Logs when an accepted connection took the process's last file descriptor. libuv
 * answers the next accept's EMFILE by accepting and closing every pending
 * connection (its reserved-fd trick) without telling Node, so without this
 * the drops leave no trace. The kernel hands out the lowest free descriptor,
 * so a connection on fd `limit - 1` means every descriptor is taken.
 */
export class FdLimitWatch {
  private lastLogged = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Logger,
    private readonly limit: number | undefined = openFilesLimit(),
  ) {}

  attach(server: Server): void {
    if (this.limit === undefined) return;
    // First in line: the gateway's own listener moves the handle to another socket object.
    server.prependListener('connection', (socket: Socket) => this.check(socket));
  }

  check(socket: Socket): void {
    const fd = socketFd(socket);
    if (this.limit === undefined || fd === undefined || fd < this.limit - 1) return;
    const now = Date.now();
    if (now - this.lastLogged < REPEAT_MS) return;
    this.lastLogged = now;
    const { message } = formatEntry(APPSERVER_ERRORS.APP_ERR_FD_LIMIT, [this.limit]);
    this.log.error({ code: 'APP_ERR_FD_LIMIT', fd, limit: this.limit }, message);
  }
}
