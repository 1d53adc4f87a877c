import { median } from './load-loop.js';

/**
 * Steady growth: the median of the last third of the samples exceeds the
 * median of the middle third by more than max(24 MiB, 25 %). The first third
 * is warm-up (JIT, pools, caches filling) and is not judged.
 */
export function steadyGrowth(samples: number[]): { grew: boolean; mid: number; last: number } {
  const third = Math.floor(samples.length / 3);
  const mid = median(samples.slice(third, 2 * third));
  const last = median(samples.slice(2 * third));
  return { grew: last - mid > Math.max(24, mid * 0.25), mid, last };
}
