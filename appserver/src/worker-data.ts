import type { AppserverConfig } from './config.js';
import type { ListenTarget } from './listen-targets.js';

/** The payload the appserver master sends each worker in its init message. */
export interface WorkerData {
  config: AppserverConfig;
  /** Binds with port 0 already resolved. */
  targets: ListenTarget[];
  /** The master still holds a port-0 pick that node:cluster must bind for this worker: ask first (PortReservation). */
  awaitPortRelease: boolean;
}
