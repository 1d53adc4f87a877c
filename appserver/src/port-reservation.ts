import { createServer, type AddressInfo, type ListenOptions, type Server } from 'node:net';
import { BindError } from './errors.js';
import { describeTarget, type ListenTarget } from './listen-targets.js';

/** What a worker sends before it listens through node:cluster while the master still holds a port-0 pick. */
const RELEASE_REQUEST = { tsgiPorts: 'release' } as const;
/** The master's answer, broadcast once the picks are closed. */
const RELEASED = { tsgiPorts: 'released' } as const;

/**
 * `--bind host:0`: the master picks each port once, so every worker (and every
 * replacement after all of them died) listens on the same one, and keeps the
 * pick bound until the workers take it over. A probe closed at once lost its
 * port to any busy neighbour during the second or two a worker takes to boot
 * (the workers then failed with EADDRINUSE and the master exited 3).
 *
 * Under node:cluster (socket models shared and round-robin) the master binds
 * for the workers, so the pick must close just before the first worker
 * listens: that worker asks (`waitForPortRelease`) and the master answers
 * after closing. Under reuse-port the pick joins the workers' SO_REUSEPORT
 * group and closes once they all listen.
 */
export class PortReservation {
  private constructor(
    readonly targets: readonly ListenTarget[],
    private holders: Server[],
  ) {}

  static async reserve(binds: readonly ListenTarget[], reusePort: boolean): Promise<PortReservation> {
    const holders: Server[] = [];
    const targets: ListenTarget[] = [];
    try {
      for (const t of binds) {
        if ('path' in t || t.port !== 0) {
          targets.push(t);
          continue;
        }
        // No one knows the port until the master announces it, after the workers listen; a stray connection is dropped.
        const holder = createServer((socket) => socket.destroy());
        const options: ListenOptions = { host: t.host, port: 0, exclusive: true };
        if (reusePort) (options as ListenOptions & { reusePort: boolean }).reusePort = true;
        await new Promise<void>((resolve, reject) => {
          holder.once('error', (err) => reject(new BindError('--bind', describeTarget(t), err)));
          holder.listen(options, () => resolve());
        });
        holders.push(holder);
        targets.push({ host: t.host, port: (holder.address() as AddressInfo).port });
      }
    } catch (err) {
      for (const h of holders) h.close();
      throw err;
    }
    return new PortReservation(targets, holders);
  }

  /** True while a port-0 pick is still bound in the master. */
  get held(): boolean {
    return this.holders.length > 0;
  }

  async release(): Promise<void> {
    const holders = this.holders;
    this.holders = [];
    await Promise.all(holders.map((h) => new Promise<void>((resolve) => h.close(() => resolve()))));
  }

  /**
   * Answers a worker's `custom` message if it asks for the picks: closes them
   * and `broadcast`s the answer. False for any other message.
   */
  answer(data: unknown, broadcast: (data: unknown) => void): boolean {
    if (!isTagged(data, RELEASE_REQUEST.tsgiPorts)) return false;
    void this.release().then(() => broadcast(RELEASED));
    return true;
  }
}

/** Worker side: asks the master to close its port-0 picks and resolves once it has. */
export function waitForPortRelease(sendToMaster: (data: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (msg: unknown): void => {
      if (typeof msg !== 'object' || msg === null || !isTagged((msg as { data?: unknown }).data, RELEASED.tsgiPorts)) return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    sendToMaster(RELEASE_REQUEST);
  });
}

function isTagged(data: unknown, value: string): boolean {
  return typeof data === 'object' && data !== null && (data as { tsgiPorts?: unknown }).tsgiPorts === value;
}
