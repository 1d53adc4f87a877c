import { EndpointPool } from './endpoint-pool.js';
import { endpointId } from './edge/unix-address.js';
import type { UpstreamConfig } from './config.js';

/**
 * With every endpoint of a group out (ejected or failing checks), one request per this many ms (counted from when
 * the last trial was sent and from when it ended) still goes to one of them (panic mode, throttled): it finds out
 * whether an endpoint is back, and the other requests get a fast 502 instead of each waiting out a connect timeout
 * against addresses that do not answer.
 */
export const PANIC_TRIAL_MS = 1000;

/** How an endpoint looks to the balancer and the admin view. */
export type EndpointState = 'healthy' | 'ejected' | 'unhealthy' | 'removed';

/**
 * One address of an upstream group: its keep-alive pool, in-flight count,
 * passive health (failures in a window eject it for a back-off that doubles
 * per consecutive ejection, as nginx max_fails/fail_timeout and Envoy outlier
 * detection) and active-check state, and slow start after re-admission.
 */
export class Endpoint {
  readonly pool: EndpointPool;
  /** In-flight requests. */
  active = 0;
  /** Smooth weighted round robin state. */
  currentWeight = 0;
  removed = false;
  /** Active checks say unhealthy. */
  failingChecks = false;
  checkPasses = 0;
  checkFails = 0;
  ejectedUntil = 0;
  ejections = 0;
  lastEjectionEnd = 0;
  private ejectedAt = 0;
  /** When the last panic trial was picked, or ended (a trial that waits out a connect timeout must not be followed at once by the next). */
  private lastPanicTrial = -Infinity;
  private panicTrialOpen = false;
  private fails = 0;
  private failWindowStart = 0;
  /** When it (re)joined; slow start ramps its weight from here. */
  admittedAt: number;
  requests = 0;
  failures = 0;
  /** Called when it gets ejected (metrics, logs). */
  onEject: ((ep: Endpoint, ms: number) => void) | null = null;

  constructor(
    readonly group: string,
    /** What the config said (`name:port`, `ip:port`). */
    readonly origin: string,
    readonly host: string,
    readonly port: number,
    public weight: number,
    private settings: UpstreamConfig,
    now: number,
  ) {
    this.pool = new EndpointPool(this, settings.pool.maxConnections, settings.pool.maxIdle, settings.pool.idleTimeout);
    // Endpoints present at startup serve at full weight; those that appear later ramp up.
    this.admittedAt = now - settings.slowStart;
  }

  get id(): string {
    return endpointId(this.host, this.port);
  }

  /** Applies a reloaded config to an endpoint that survives the reload. */
  update(settings: UpstreamConfig, weight: number): void {
    this.settings = settings;
    this.weight = weight;
    this.pool.maxConnections = settings.pool.maxConnections;
    this.pool.maxIdle = settings.pool.maxIdle;
    this.pool.idleTimeoutMs = settings.pool.idleTimeout;
  }

  /** Eligible for new requests now. */
  available(now: number): boolean {
    return !this.removed && !this.failingChecks && this.ejectedUntil <= now;
  }

  state(now: number): EndpointState {
    if (this.removed) return 'removed';
    if (this.failingChecks) return 'unhealthy';
    if (this.ejectedUntil > now) return 'ejected';
    return 'healthy';
  }

  /** Weight scaled by slow start (10% .. 100% over the slow-start window). */
  effectiveWeight(now: number): number {
    const ramp = this.settings.slowStart;
    if (ramp <= 0) return this.weight;
    const age = now - this.admittedAt;
    if (age >= ramp) return this.weight;
    return this.weight * Math.max(0.1, age / ramp);
  }

  /** No panic trial was picked, nor ended, on this endpoint in the last PANIC_TRIAL_MS. */
  panicQuiet(now: number): boolean {
    return now - this.lastPanicTrial >= PANIC_TRIAL_MS;
  }

  panicPicked(now: number): void {
    this.lastPanicTrial = now;
    this.panicTrialOpen = true;
  }

  private panicTrialEnded(now: number): void {
    if (!this.panicTrialOpen) return;
    this.panicTrialOpen = false;
    this.lastPanicTrial = now;
  }

  recordSuccess(now: number): void {
    this.requests++;
    this.panicTrialEnded(now);
    if (this.fails > 0 && now - this.failWindowStart > this.settings.passive.failWindow) this.fails = 0;
    if (this.ejectedUntil > now && this.lastPanicTrial >= this.ejectedAt) {
      // A panic trial answered: the endpoint is back before its ejection ran out (the rest were refused meanwhile).
      this.ejectedUntil = 0;
      this.lastEjectionEnd = now;
      this.admittedAt = now;
      return;
    }
    if (this.lastEjectionEnd !== 0 && this.ejectedUntil <= now && this.ejectedUntil !== 0) {
      // First success after an ejection: re-admitted, ramp up again.
      this.ejectedUntil = 0;
      this.admittedAt = now;
    }
  }

  recordFailure(now: number): void {
    this.requests++;
    this.failures++;
    this.panicTrialEnded(now);
    const p = this.settings.passive;
    if (p.maxFails === 0) return;
    // Requests that were already in flight when the endpoint was ejected fail too (one per open
    // connection when a process dies); they say nothing new, so they neither re-eject nor grow the back-off.
    if (this.ejectedUntil > now) return;
    if (now - this.failWindowStart > p.failWindow) {
      this.failWindowStart = now;
      this.fails = 0;
    }
    if (++this.fails < p.maxFails) return;
    this.fails = 0;
    // Healthy for a full max-ejection period since the last one: start the back-off over.
    if (this.lastEjectionEnd !== 0 && now - this.lastEjectionEnd > p.ejectMax) this.ejections = 0;
    const ms = Math.min(p.ejectMax, p.ejectBase * 2 ** this.ejections);
    this.ejections++;
    this.ejectedAt = now;
    this.ejectedUntil = now + ms;
    this.lastEjectionEnd = this.ejectedUntil;
    this.onEject?.(this, ms);
  }

  /** Active check result; thresholds decide when the state flips. */
  recordCheck(ok: boolean, now: number): void {
    const a = this.settings.active;
    if (a === undefined) return;
    if (ok) {
      this.checkFails = 0;
      if (++this.checkPasses >= a.healthyThreshold && this.failingChecks) {
        this.failingChecks = false;
        this.ejectedUntil = 0;
        this.admittedAt = now;
      }
    } else {
      this.checkPasses = 0;
      if (++this.checkFails >= a.unhealthyThreshold) this.failingChecks = true;
    }
  }

  /** Admin JSON view. */
  snapshot(now: number): Record<string, unknown> {
    return {
      address: this.id,
      origin: this.origin,
      weight: this.weight,
      state: this.state(now),
      active: this.active,
      open: this.pool.open,
      idle: this.pool.idle.length,
      waiting: this.pool.waiting,
      requests: this.requests,
      failures: this.failures,
      ejections: this.ejections,
      ejectedForMs: Math.max(0, this.ejectedUntil - now),
      effectiveWeight: Number(this.effectiveWeight(now).toFixed(3)),
    };
  }
}
