import type { PlacedBudget } from '../cpu-budget/tier-budgets.js';

/** What the runner needs of a process: its pid, and a way to stop and signal it. */
export interface ProcessHandle {
  readonly pid: number;
  readonly hasExited: boolean;
  signal(sig: NodeJS.Signals): void;
  killTree(sig: NodeJS.Signals): void;
  stop(sig?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** A process the runner did not start (a container's init): measured, never signalled. */
export class ExternalProcess implements ProcessHandle {
  constructor(readonly pid: number) {}
  get hasExited(): boolean {
    try {
      process.kill(this.pid, 0);
      return false;
    } catch {
      return true;
    }
  }
  signal(): void {}
  killTree(): void {}
  async stop(): Promise<void> {}
}

/** One running program of a topology and where it listens. */
export interface Component {
  /** Report label: `edge`, `app`, `upstream`, ... */
  role: string;
  proc: ProcessHandle;
  port: number;
  /** Extra ports (metrics, admin), by name. */
  ports?: Record<string, number>;
  /** Removes temp files the component wrote (configs, pid files). */
  cleanup?: () => Promise<void>;
}

/** A started set of processes and the URL the load goes to. */
export class Topology {
  readonly components: Component[] = [];
  /**
   * Origins the load goes to, e.g. `http://127.0.0.1:40123` (the scenario adds the path):
   * one entry point, or one per replica of the entry tier, over which the load generator
   * spreads its connections as a cloud load balancer would.
   */
  origins: string[] = [];

  /** The first origin: scenarios with one entry point load it alone. */
  get url(): string {
    return this.origins[0] ?? '';
  }
  /** Processes running under a CPU budget (`--cpu-budget`), measured against it each stage. */
  readonly budgets: PlacedBudget[] = [];

  add(c: Component): Component {
    this.components.push(c);
    return c;
  }

  /** Makes `c` the entry point the load goes to (adding it if it is not in the topology yet). */
  entry(c: Component): Component {
    this.entries([c]);
    return c;
  }

  /** Makes every one of `cs` an entry point (the replicas of the entry tier), load spread over them. */
  entries(cs: Component[]): void {
    for (const c of cs) if (!this.components.includes(c)) this.components.push(c);
    this.origins = cs.map((c) => `http://127.0.0.1:${c.port}`);
  }

  byRole(role: string): Component | undefined {
    return this.components.find((c) => c.role === role);
  }

  /** Stops every component, the entry point first (so it stops sending upstream). */
  async stop(): Promise<void> {
    for (const c of this.components) {
      await c.proc.stop('SIGTERM', 5_000);
      await c.cleanup?.();
    }
  }
}
