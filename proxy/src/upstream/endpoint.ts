import { EndpointPool } from './endpoint-pool.js';
import { endpointId } from './unix-address.js';
import type { UpstreamConfig } from '../config/config.js';
import type { AdminState } from './endpoint-overrides.js';

/**
 * Panic mode (every endpoint of a group out: ejected or failing checks) still sends requests to them, but one
 * trial at a time per endpoint, and after a failed trial that endpoint waits PANIC_TRIAL_MS, doubling per failed
 * trial in a row up to PANIC_TRIAL_MAX_MS: an endpoint that answers is found (and re-admitted) at once, while
 * addresses that do not answer cost a connect timeout now and then instead of on every request.
 */
export const PANIC_TRIAL_MS = 1000;
export const PANIC_TRIAL_MAX_MS = 8000;
/** A trial with no result after this long (its client went away) no longer holds the endpoint back. */
const PANIC_TRIAL_STALE_MS = 30_000;

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
  /** When the open panic trial was sent (0: none open), when the endpoint may take the next, failed trials in a row. */
  private panicOpenSince = 0;
  private panicHeldUntil = 0;
  private panicFailStreak = 0;
  private fails = 0;
  private failWindowStart = 0;
  /** When it (re)joined; slow start ramps its weight from here. */
  admittedAt: number;
  requests = 0;
  failures = 0;
  /** Set through the admin API (upstream/endpoint-overrides.ts): disabled or draining endpoints take no new request. */
  admin: AdminState = 'enabled';
  /** The weight the config gives; `weight` is this unless the admin API set another. */
  private configWeight: number;
  private adminWeight: number | null = null;
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
    this.configWeight = weight;
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
    this.configWeight = weight;
    this.weight = this.adminWeight ?? weight;
    this.pool.maxConnections = settings.pool.maxConnections;
    this.pool.maxIdle = settings.pool.maxIdle;
    this.pool.idleTimeoutMs = settings.pool.idleTimeout;
  }

  /** Applies the admin API's state and weight (null: the configured weight). */
  override(state: AdminState, weight: number | null): void {
    this.admin = state;
    this.adminWeight = weight;
    this.weight = weight ?? this.configWeight;
  }

  /** Eligible for new requests now. */
  available(now: number): boolean {
    return !this.removed && this.admin === 'enabled' && !this.failingChecks && this.ejectedUntil <= now;
  }

  /** May take a request whose sticky cookie names it: as `available`, and also while draining. */
  takesSticky(now: number): boolean {
    return !this.removed && this.admin !== 'disabled' && !this.failingChecks && this.ejectedUntil <= now;
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

  /** May take a panic trial now: not removed, no trial of its own open, not held back after a failed one. */
  panicCandidate(now: number): boolean {
    if (this.removed || this.admin !== 'enabled' || now < this.panicHeldUntil) return false;
    return this.panicOpenSince === 0 || now - this.panicOpenSince > PANIC_TRIAL_STALE_MS;
  }

  panicPicked(now: number): void {
    this.panicOpenSince = now;
  }

  /** A result for an open panic trial: true when it was one. */
  private panicTrialEnded(ok: boolean, now: number): boolean {
    if (this.panicOpenSince === 0) return false;
    this.panicOpenSince = 0;
    if (ok) this.panicFailStreak = 0;
    else this.panicHeldUntil = now + Math.min(PANIC_TRIAL_MAX_MS, PANIC_TRIAL_MS * 2 ** this.panicFailStreak++);
    return true;
  }

  recordSuccess(now: number): void {
    this.requests++;
    const trial = this.panicTrialEnded(true, now);
    if (this.fails > 0 && now - this.failWindowStart > this.settings.passive.failWindow) this.fails = 0;
    if (trial && this.ejectedUntil > now) {
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
    this.panicTrialEnded(false, now);
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
      admin: this.admin,
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
