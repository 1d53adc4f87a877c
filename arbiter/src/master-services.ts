import type { Arbiter } from './arbiter.js';
import type { ArbiterHooks, WorkerInfo } from './arbiter-types.js';
import { PortReservation } from './port-reservation.js';
import { MasterMetrics } from './status/master-metrics.js';
import { createStatusServer, listenStatusServer, type HealthState, type StatusExtension, type StatusServer, type StatusTarget } from './status/status-server.js';

export interface MasterServicesOptions {
  /** Worker gauges that add up over workers (in-flight requests, open connections); see MetricsLedger. */
  summedGauge?: (name: string) => boolean;
  /** The tier's own routes on the status port (the proxy's `/upstreams` and admin writes). */
  extension?: StatusExtension;
}

/** What `hooks()` gives the Arbiter; spread it into ArbiterOptions.hooks beside the tier's own. */
export type MasterServiceHooks = Required<Pick<ArbiterHooks, 'workerSpawned' | 'workerReady' | 'workerExited' | 'message'>>;

/**
 * What every tier's master needs around its Arbiter, written once for
 * tsgi-appserver and tsgi-proxy: port-0 binds picked once and held until the
 * workers take them over (PortReservation), the status port (`/metrics`,
 * `/healthz`, `/readyz`, plus the tier's own routes), and the MetricsLedger fed
 * from the workers' reports so counters never go back.
 */
export class MasterServices {
  readonly reservation = new PortReservation();
  readonly metrics: MasterMetrics;
  private arbiter: Arbiter | undefined;
  private booted = false;
  private status: StatusServer | null = null;
  private readonly extension: StatusExtension | undefined;

  constructor(options: MasterServicesOptions = {}) {
    this.extension = options.extension;
    this.metrics = new MasterMetrics(() => this.arbiter, { summedGauge: options.summedGauge });
  }

  /** The arbiter these services report on (built after the ports are reserved: its workers' data carries them). */
  attach(arbiter: Arbiter): void {
    this.arbiter = arbiter;
  }

  /**
   * Each TCP target on port 0 gets its port here, once, so every worker of every generation listens on the same one;
   * the pick stays bound (see PortReservation). Other targets come back as they are. When a pick fails, every pick
   * still held is released and `fail(index, error)` is thrown, so the caller names its own setting.
   */
  async reservePorts<T extends StatusTarget>(targets: readonly T[], fail: (index: number, err: unknown) => Error, options: { reusePort?: boolean } = {}): Promise<T[]> {
    const out: T[] = [];
    for (const [i, t] of targets.entries()) {
      if ('path' in t || t.port !== 0) {
        out.push(t);
        continue;
      }
      try {
        out.push({ ...t, port: await this.reservation.pick(t.host, options) });
      } catch (err) {
        await this.reservation.release();
        throw fail(i, err);
      }
    }
    return out;
  }

  /**
   * The Arbiter hooks these services need: the ledger follows workers coming and going, a worker asking for the port
   * picks gets them released, a metrics report is recorded. Any other `custom` message goes to `other`.
   */
  hooks(other?: (worker: WorkerInfo, data: unknown) => void): MasterServiceHooks {
    return {
      workerSpawned: (w) => this.metrics.workerSpawned(w),
      workerReady: () => {
        this.booted = true;
      },
      workerExited: (w, reason) => this.metrics.workerExited(w, reason),
      message: (w, data) => {
        if (this.reservation.answer(data, (answer) => this.arbiter?.broadcast(answer))) return;
        if (this.metrics.workerMessage(data)) return;
        other?.(w, data);
      },
    };
  }

  /** What `/healthz` and `/readyz` answer from. */
  health(): HealthState {
    const a = this.arbiter;
    return {
      booted: this.booted,
      ready: a?.ready ?? false,
      draining: a?.isStopping ?? false,
      workers: a?.workers.filter((w) => w.state === 'ready').length ?? 0,
    };
  }

  /** Binds the status port (rejects with listen's error; the caller names its setting). */
  async startStatus(target: StatusTarget): Promise<StatusServer> {
    this.status = await this.listen(target);
    return this.status;
  }

  /** A reload moved the status port: the new one is bound first (an error leaves the old one serving), then the old closes. */
  async moveStatus(target: StatusTarget | null): Promise<StatusServer | null> {
    const next = target === null ? null : await this.listen(target);
    this.status?.close();
    this.status = next;
    return next;
  }

  /** Releases the port picks still held and closes the status port. */
  async close(): Promise<void> {
    this.status?.close();
    this.status = null;
    await this.reservation.release();
  }

  private listen(target: StatusTarget): Promise<StatusServer> {
    const server = createStatusServer({ metrics: () => this.metrics.render(), health: () => this.health(), extension: this.extension });
    return listenStatusServer(server, target);
  }
}
