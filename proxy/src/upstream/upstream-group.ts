import { asError } from '@tsgi/errors';
import type { UpstreamConfig } from '../config/config.js';
import { parseAddress } from '../config/config.js';
import { createBalancer, type Balancer } from './balancer.js';
import { Endpoint } from './endpoint.js';
import { RetryBudget } from './retry-budget.js';
import { resolveHost } from './dns-discovery.js';
import { probe } from './active-health.js';
import { ProxyError } from '../errors.js';
import { isUnixAddress } from './unix-address.js';
import { stickyValue } from './sticky-cookie.js';
import { BodyStreamGate } from './body-shield.js';
import type { EndpointOverride } from './endpoint-overrides.js';

/** Events a group reports to the worker (logs, metrics). */
export interface GroupEvents {
  ejected(group: string, endpoint: string, ms: number): void;
  endpointsChanged(group: string, added: string[], removed: string[]): void;
  /** `kept`: the endpoints the name still has from its last answer (0: none to keep, e.g. at start). */
  resolveFailed(group: string, name: string, error: Error, kept: number): void;
}

/**
 * An upstream group: its endpoints (static, or every address of DNS names
 * re-resolved periodically), balancer, retry budget and active checks.
 * Removed endpoints leave the balancer at once but keep serving the requests
 * already on them; their pool closes its idle sockets.
 */
export class UpstreamGroup {
  endpoints: Endpoint[] = [];
  private readonly byKey = new Map<string, Endpoint>();
  /** Sticky cookie value -> endpoint, and back (values are deterministic: sticky-cookie.ts). */
  private readonly byStickyValue = new Map<string, Endpoint>();
  private readonly stickyValues = new Map<Endpoint, string>();
  /** Addresses per configured server entry (index in config.servers). */
  private readonly resolved = new Map<number, string[]>();
  balancer: Balancer;
  readonly budget: RetryBudget;
  /** Request bodies streaming to this group now (per worker), capped by `bodyStreams`. */
  readonly bodyStreams = new BodyStreamGate();
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  private overrides: ReadonlyMap<string, EndpointOverride> = new Map();

  constructor(
    readonly name: string,
    public config: UpstreamConfig,
    private readonly events: GroupEvents,
  ) {
    this.balancer = createBalancer(config.balance);
    this.budget = new RetryBudget(config.retries.budget, config.retries.minPerSecond);
  }

  /** Resolves every server entry once, then keeps re-resolving names and probing. */
  async start(): Promise<void> {
    await Promise.all(this.config.servers.map((_, i) => this.resolveEntry(i, true)));
    this.schedule();
  }

  private schedule(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    if (this.stopped) return;
    this.config.servers.forEach((s, i) => {
      const host = (parseAddress(s.address) as { host: string }).host;
      if (isLiteral(host)) return;
      const every = Math.max(this.config.resolve.minInterval, this.config.resolve.interval);
      const loop = (): void => {
        const t = setTimeout(() => {
          void this.resolveEntry(i, false).finally(() => {
            if (!this.stopped && this.timers.includes(t)) {
              this.timers.splice(this.timers.indexOf(t), 1);
              loop();
            }
          });
        }, every);
        t.unref();
        this.timers.push(t);
      };
      loop();
    });
    const active = this.config.active;
    if (active !== undefined) {
      const t = setInterval(() => this.checkAll(), active.interval);
      t.unref();
      this.timers.push(t);
      this.checkAll();
    }
  }

  private checkAll(): void {
    const active = this.config.active;
    if (active === undefined) return;
    for (const ep of this.endpoints) {
      void probe(ep.host, ep.port, active.path, isUnixAddress(ep.origin) ? 'localhost' : ep.origin, active.timeout).then((ok) => ep.recordCheck(ok, Date.now()));
    }
  }

  /**
   * `initial`: the first resolution of this entry (start, reload). A failure then keeps what the same address
   * had before a reload (`previous`), else leaves the entry with no address.
   */
  private async resolveEntry(index: number, initial: boolean, previous?: ReadonlyMap<string, string[]>): Promise<void> {
    const entry = this.config.servers[index];
    // An old timer's re-resolve can fire between a reload that dropped this entry and its reschedule.
    if (entry === undefined) return;
    const { host, port } = parseAddress(entry.address) as { host: string; port: number };
    let addresses: string[];
    if (isUnixAddress(host)) {
      // A socket path: nothing to resolve.
      this.resolved.set(index, [host]);
      this.sync();
      return;
    }
    try {
      const found = await resolveHost(host, this.config.resolve.servers, this.config.resolve.nxdomain);
      addresses = [...new Set(found.map((a) => (a.address.includes(':') ? `[${a.address}]:${port}` : `${a.address}:${port}`)))];
    } catch (err) {
      // Keep the last known endpoints: a resolver hiccup must not empty the group.
      const last = initial ? (previous?.get(entry.address) ?? []) : (this.resolved.get(index) ?? []);
      this.events.resolveFailed(this.name, host, asError(err), last.length);
      if (!initial) return;
      addresses = last;
    }
    if (this.stopped) return;
    this.resolved.set(index, addresses);
    this.sync();
  }

  /** Rebuilds the endpoint list from the resolved addresses of every entry. */
  private sync(): void {
    const now = Date.now();
    const wanted = new Map<string, { host: string; port: number; weight: number; origin: string }>();
    this.config.servers.forEach((entry, i) => {
      for (const a of this.resolved.get(i) ?? []) {
        const p = parseAddress(a) as { host: string; port: number };
        const prev = wanted.get(a);
        wanted.set(a, { ...p, weight: (prev?.weight ?? 0) + entry.weight, origin: entry.address });
      }
    });
    const added: string[] = [];
    const removed: string[] = [];
    for (const [key, ep] of this.byKey) {
      if (!wanted.has(key)) {
        ep.removed = true;
        ep.pool.close(new ProxyError('PX_ERR_NO_ENDPOINT', `${key} was removed`));
        this.byKey.delete(key);
        removed.push(key);
      }
    }
    const initial = this.byKey.size === 0 && this.endpoints.length === 0;
    for (const [key, w] of wanted) {
      const ep = this.byKey.get(key);
      if (ep !== undefined) {
        ep.update(this.config, w.weight);
        continue;
      }
      const fresh = new Endpoint(this.name, w.origin, w.host, w.port, w.weight, this.config, initial ? now : now + this.config.slowStart);
      fresh.onEject = (e, ms) => this.events.ejected(this.name, e.id, ms);
      this.byKey.set(key, fresh);
      added.push(key);
    }
    this.endpoints = [...this.byKey.values()];
    for (const ep of this.endpoints) this.applyOverride(ep);
    this.byStickyValue.clear();
    this.stickyValues.clear();
    for (const ep of this.endpoints) {
      const value = stickyValue(this.name, ep.id);
      this.byStickyValue.set(value, ep);
      this.stickyValues.set(ep, value);
    }
    this.balancer.rebuild(this.endpoints);
    if (added.length > 0 || removed.length > 0) this.events.endpointsChanged(this.name, added, removed);
  }

  /** The admin API's overrides for this group (keyed by endpoint address); endpoints DNS adds later get theirs too. */
  setOverrides(overrides: ReadonlyMap<string, EndpointOverride>): void {
    this.overrides = overrides;
    for (const ep of this.endpoints) this.applyOverride(ep);
    // Weights feed the balancer's state (the hash ring): rebuilt with them.
    this.balancer.rebuild(this.endpoints);
  }

  private applyOverride(ep: Endpoint): void {
    const o = this.overrides.get(ep.id);
    ep.override(o?.state ?? 'enabled', o?.weight ?? null);
  }

  /** Applies a reloaded config; endpoints whose address stays keep their pools and health. */
  async reconfigure(config: UpstreamConfig): Promise<void> {
    const balanceChanged = config.balance !== this.config.balance;
    // A server entry the reload keeps keeps its addresses if its name fails to resolve right now.
    const previous = new Map<string, string[]>();
    this.config.servers.forEach((s, i) => previous.set(s.address, this.resolved.get(i) ?? []));
    this.config = config;
    if (balanceChanged) this.balancer = createBalancer(config.balance);
    this.budget.ratio = config.retries.budget;
    this.budget.minPerSecond = config.retries.minPerSecond;
    this.resolved.clear();
    await Promise.all(config.servers.map((_, i) => this.resolveEntry(i, true, previous)));
    this.schedule();
  }

  pick(exclude: readonly Endpoint[] | null, key: string | null, now: number): Endpoint | null {
    return this.balancer.pick(this.endpoints, exclude, key, now);
  }

  /** Whether an endpoint other than `current` and those in `tried` would take a request now (no panic trial). */
  hasAlternative(current: Endpoint | null, tried: readonly Endpoint[] | null, now: number): boolean {
    for (const ep of this.endpoints) if (ep !== current && ep.available(now) && !(tried?.includes(ep) ?? false)) return true;
    return false;
  }

  /**
   * The endpoint a sticky cookie names, when it is still in the group,
   * usable (not ejected, passing checks) and not already tried for this
   * request; otherwise null and the balancer picks (the response then
   * carries a new cookie).
   */
  stickyPick(value: string | null, exclude: readonly Endpoint[] | null, now: number): Endpoint | null {
    if (value === null) return null;
    const ep = this.byStickyValue.get(value);
    if (ep === undefined || !ep.takesSticky(now)) return null;
    if (exclude !== null && exclude.includes(ep)) return null;
    return ep;
  }

  /** The sticky cookie value naming `ep`. */
  stickyValueOf(ep: Endpoint): string {
    return this.stickyValues.get(ep) ?? stickyValue(this.name, ep.id);
  }

  /** Periodic housekeeping: idle pool sockets past their timeout. */
  sweep(now: number): void {
    for (const ep of this.endpoints) ep.pool.sweep(now);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    for (const ep of this.endpoints) ep.pool.close(new ProxyError('PX_ERR_SHUTTING_DOWN'));
  }

  snapshot(now: number): GroupSnapshot {
    return {
      balance: this.config.balance,
      endpoints: this.endpoints.map((e) => e.snapshot(now)),
    };
  }
}

/** A group in the admin `/upstreams` view. */
export interface GroupSnapshot {
  balance: string;
  endpoints: ReturnType<Endpoint['snapshot']>[];
}

function isLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(':');
}
