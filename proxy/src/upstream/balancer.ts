import { createHash } from 'node:crypto';
import type { Endpoint } from './endpoint.js';

/** Picks an endpoint for one attempt. `exclude` holds endpoints already tried for this request. */
export interface Balancer {
  pick(endpoints: readonly Endpoint[], exclude: readonly Endpoint[] | null, key: string | null, now: number): Endpoint | null;
  /** The endpoint set changed (DNS, reload). */
  rebuild(endpoints: readonly Endpoint[]): void;
}

function usable(ep: Endpoint, exclude: readonly Endpoint[] | null, now: number, panic: boolean): boolean {
  if (exclude !== null && exclude.includes(ep)) return false;
  return panic ? ep.panicCandidate(now) : ep.available(now);
}

/**
 * Runs `choose` over the usable endpoints; when none is usable (all ejected or
 * failing checks) falls back to one still out, as Envoy's panic mode, but
 * through trials (Endpoint.panicCandidate: one at a time per endpoint, held
 * back after a failed one), so that with addresses that do not answer most
 * requests get a fast 502 (PX_ERR_NO_ENDPOINT) instead of each waiting out the
 * connect timeout. A lone endpoint is never held back (nginx ignores max_fails
 * for a single server): nothing else could answer.
 */
function withPanic(
  endpoints: readonly Endpoint[],
  exclude: readonly Endpoint[] | null,
  now: number,
  choose: (panic: boolean) => Endpoint | null,
): Endpoint | null {
  const healthy = choose(false);
  if (healthy !== null) return healthy;
  const [only] = endpoints;
  if (endpoints.length === 1) return only === undefined || only.removed || (exclude?.includes(only) ?? false) ? null : only;
  const trial = choose(true);
  trial?.panicPicked(now);
  return trial;
}

/** nginx's smooth weighted round robin, with slow-start weights. */
export class RoundRobin implements Balancer {
  pick(endpoints: readonly Endpoint[], exclude: readonly Endpoint[] | null, _key: string | null, now: number): Endpoint | null {
    return withPanic(endpoints, exclude, now, (panic) => {
      let best: Endpoint | null = null;
      let total = 0;
      for (const ep of endpoints) {
        if (!usable(ep, exclude, now, panic)) continue;
        const w = ep.effectiveWeight(now);
        ep.currentWeight += w;
        total += w;
        if (best === null || ep.currentWeight > best.currentWeight) best = ep;
      }
      if (best !== null) best.currentWeight -= total;
      return best;
    });
  }
  rebuild(): void {}
}

/** Fewest in-flight requests per unit of weight; ties rotate. */
export class LeastConnections implements Balancer {
  private offset = 0;
  pick(endpoints: readonly Endpoint[], exclude: readonly Endpoint[] | null, _key: string | null, now: number): Endpoint | null {
    const n = endpoints.length;
    this.offset = (this.offset + 1) % Math.max(1, n);
    return withPanic(endpoints, exclude, now, (panic) => {
      let best: Endpoint | null = null;
      let bestScore = Infinity;
      for (let i = 0; i < n; i++) {
        const ep = endpoints[(i + this.offset) % n]!; // i < n, so n > 0
        if (!usable(ep, exclude, now, panic)) continue;
        const score = (ep.active + 1) / ep.effectiveWeight(now);
        if (score < bestScore) {
          best = ep;
          bestScore = score;
        }
      }
      return best;
    });
  }
  rebuild(): void {}
}

/** Power of two choices: two random usable endpoints, the less loaded one wins. */
export class PowerOfTwo implements Balancer {
  pick(endpoints: readonly Endpoint[], exclude: readonly Endpoint[] | null, _key: string | null, now: number): Endpoint | null {
    return withPanic(endpoints, exclude, now, (panic) => {
      const n = endpoints.length;
      let a: Endpoint | null = null;
      let b: Endpoint | null = null;
      // A few random probes find usable ones cheaply; a scan covers the sparse case.
      for (let t = 0; t < 4 && b === null; t++) {
        const ep = endpoints[(Math.random() * n) | 0];
        if (ep === undefined || !usable(ep, exclude, now, panic)) continue; // undefined: no endpoints at all
        if (a === null) a = ep;
        else if (ep !== a) b = ep;
      }
      if (a === null) {
        for (const ep of endpoints) if (usable(ep, exclude, now, panic)) return ep;
        return null;
      }
      if (b === null) {
        const from = (Math.random() * n) | 0;
        for (let i = 0; i < n && b === null; i++) {
          const ep = endpoints[(from + i) % n]!; // i < n, so n > 0
          if (ep !== a && usable(ep, exclude, now, panic)) b = ep;
        }
        if (b === null) return a;
      }
      return (a.active + 1) / a.effectiveWeight(now) <= (b.active + 1) / b.effectiveWeight(now) ? a : b;
    });
  }
  rebuild(): void {}
}

const POINTS_PER_WEIGHT = 160;

/**
 * Consistent hashing on a ring of virtual nodes (160 per unit of weight, as
 * ketama): adding or removing one of N endpoints remaps about 1/N of the keys.
 * A key whose endpoint is unusable walks on to the next distinct one on the ring.
 * Requests without a key fall back to round robin.
 */
export class ConsistentHash implements Balancer {
  private ring = new Uint32Array(0);
  private owners: Endpoint[] = [];
  private readonly fallback = new RoundRobin();

  rebuild(endpoints: readonly Endpoint[]): void {
    const points: Array<[number, Endpoint]> = [];
    for (const ep of endpoints) {
      if (ep.removed) continue;
      const count = POINTS_PER_WEIGHT * ep.weight;
      for (let i = 0; i < count; i += 4) {
        const digest = createHash('md5').update(`${ep.id}-${i / 4}`).digest();
        for (let j = 0; j < 4 && i + j < count; j++) points.push([digest.readUInt32LE(j * 4), ep]);
      }
    }
    points.sort((x, y) => x[0] - y[0]);
    this.ring = Uint32Array.from(points, (p) => p[0]);
    this.owners = points.map((p) => p[1]);
  }

  pick(endpoints: readonly Endpoint[], exclude: readonly Endpoint[] | null, key: string | null, now: number): Endpoint | null {
    if (key === null || this.ring.length === 0) return this.fallback.pick(endpoints, exclude, null, now);
    const h = hashKey(key);
    let lo = 0;
    let hi = this.ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ring[mid]! < h) lo = mid + 1; // lo <= mid < hi <= ring.length
      else hi = mid;
    }
    return withPanic(endpoints, exclude, now, (panic) => {
      for (let i = 0; i < this.ring.length; i++) {
        const ep = this.owners[(lo + i) % this.ring.length]!; // owners[k] owns ring[k]: same length
        if (usable(ep, exclude, now, panic)) return ep;
      }
      return null;
    });
  }
}

/** FNV-1a with murmur3's finaliser, so nearby keys spread over the ring. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function createBalancer(kind: 'round_robin' | 'least_conn' | 'p2c' | 'hash'): Balancer {
  switch (kind) {
    case 'round_robin':
      return new RoundRobin();
    case 'least_conn':
      return new LeastConnections();
    case 'p2c':
      return new PowerOfTwo();
    case 'hash':
      return new ConsistentHash();
  }
}
