import { createServer, type AddressInfo, type ListenOptions, type Server } from 'node:net';

/** What a worker sends before it listens through node:cluster while the master still holds a port-0 pick. */
const RELEASE_REQUEST = { tsgiPorts: 'release' } as const;
/** The master's answer, broadcast once the picks are closed. */
const RELEASED = { tsgiPorts: 'released' } as const;

/**
 * Port 0 under a pre-fork master: the master picks each port once, so every
 * worker (and every replacement after all of them died) listens on the same
 * one, and keeps the pick bound until the workers take it over. A probe closed
 * at once lost its port to any busy neighbour during the second or two a
 * worker takes to boot (the workers then failed with EADDRINUSE).
 *
 * Under node:cluster's shared and round-robin handles the master binds for the
 * workers, so the pick must close just before the first worker listens: that
 * worker asks (`waitForPortRelease`), the master closes and answers (`answer`).
 * Picked with `reusePort`, it joins the workers' SO_REUSEPORT group instead and
 * can stay until all of them listen.
 */
export class PortReservation {
  private holders: Server[] = [];

  /** Binds `host` port 0 and keeps it bound; resolves the port the kernel gave. Rejects with listen's error. */
  async pick(host: string, options: { reusePort?: boolean } = {}): Promise<number> {
    // No one knows the port until the master announces it, after the workers listen; a stray connection is dropped.
    const holder = createServer((socket) => socket.destroy());
    const listen: ListenOptions = { host, port: 0, exclusive: true };
    if (options.reusePort) (listen as ListenOptions & { reusePort: boolean }).reusePort = true;
    await new Promise<void>((resolve, reject) => {
      holder.once('error', reject);
      holder.listen(listen, () => resolve());
    });
    this.holders.push(holder);
    return (holder.address() as AddressInfo).port;
  }

  /** True while a pick is still bound in this process. */
  get held(): boolean {
    return this.holders.length > 0;
  }

  async release(): Promise<void> {
    const holders = this.holders;
    this.holders = [];
    await Promise.all(holders.map((h) => new Promise<void>((resolve) => h.close(() => resolve()))));
  }

  /**
   * For ArbiterHooks.message: if a worker's `custom` message asks for the
   * picks, closes them and `broadcast`s the answer (Arbiter.broadcast), and
   * returns true. False for any other message.
   */
  answer(data: unknown, broadcast: (data: unknown) => void): boolean {
    if (!isTagged(data, RELEASE_REQUEST.tsgiPorts)) return false;
    void this.release().then(() => broadcast(RELEASED));
    return true;
  }
}

/** Worker side: asks the master to close its port-0 picks (WorkerRuntime.sendCustom) and resolves once it has. */
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
