/**
 * What an operator set on one endpoint through the admin API (HAProxy's `set server ... state|weight`):
 * `disabled` takes no new request, `drain` takes only requests whose sticky cookie names it, `enabled` is
 * the default; `weight` replaces the configured one. The master keeps the list and sends all of it to every
 * worker on each change and to each new worker, so it applies everywhere and survives HUP.
 */
export type AdminState = 'enabled' | 'disabled' | 'drain';

export interface EndpointOverride {
  group: string;
  /** The endpoint's address as `/upstreams` shows it (`10.0.0.5:8000`, `[::1]:8000`, `unix:/run/app.sock`). */
  endpoint: string;
  state: AdminState;
  /** null: the configured weight. */
  weight: number | null;
}

/** The message the master broadcasts, and the one a worker sends to ask for it once it is ready. */
export interface OverridesMessage {
  tsgiProxy: 'overrides';
  list: EndpointOverride[];
}
export const OVERRIDES_REQUEST = { tsgiProxy: 'overrides?' } as const;

export function isOverridesMessage(data: unknown): data is OverridesMessage {
  return typeof data === 'object' && data !== null && (data as { tsgiProxy?: unknown }).tsgiProxy === 'overrides' && Array.isArray((data as { list?: unknown }).list);
}

export function isOverridesRequest(data: unknown): boolean {
  return typeof data === 'object' && data !== null && (data as { tsgiProxy?: unknown }).tsgiProxy === 'overrides?';
}

/** The current overrides, one per endpoint; an entry back at the defaults is dropped. */
export class OverrideStore {
  private readonly byKey = new Map<string, EndpointOverride>();

  set(group: string, endpoint: string, change: { state?: AdminState; weight?: number | null }): EndpointOverride {
    const key = `${group} ${endpoint}`;
    const before = this.byKey.get(key) ?? { group, endpoint, state: 'enabled', weight: null };
    const next: EndpointOverride = { group, endpoint, state: change.state ?? before.state, weight: change.weight !== undefined ? change.weight : before.weight };
    if (next.state === 'enabled' && next.weight === null) this.byKey.delete(key);
    else this.byKey.set(key, next);
    return next;
  }

  list(): EndpointOverride[] {
    return [...this.byKey.values()];
  }
}
