import type { MemoryLimit } from './arbiter-types.js';
import type { ArbiterState } from './arbiter-state.js';
import type { WorkerMemory } from './ipc-protocol.js';
import type { WorkerRecord } from './worker-record.js';

/** Heartbeats in a row over a limit before a worker is retired, unless MemoryLimit.beats says otherwise. */
export const DEFAULT_MEMORY_BEATS = 3;

const MB = 1024 * 1024;

/** Which limit `memory` exceeds, as words for the log, or undefined. */
export function overLimit(memory: WorkerMemory, limit: MemoryLimit): string | undefined {
  if (limit.maxRssBytes && memory.rss > limit.maxRssBytes) {
    return `rss ${(memory.rss / MB).toFixed(1)} MB > ${(limit.maxRssBytes / MB).toFixed(1)} MB`;
  }
  if (limit.maxHeapFraction && memory.heapLimit > 0 && memory.heapUsed > limit.maxHeapFraction * memory.heapLimit) {
    return `heap used ${(memory.heapUsed / MB).toFixed(1)} MB > ${limit.maxHeapFraction} of the ${(memory.heapLimit / MB).toFixed(0)} MB heap limit`;
  }
  return undefined;
}

function replacing(s: ArbiterState): boolean {
  for (const r of s.records.values()) if (r.state === 'booting' || r.state === 'retiring') return true;
  return false;
}

/**
 * Called with each heartbeat's memory: a serving worker over the limit for
 * `beats` heartbeats in a row becomes `retiring` (reason `memory`), so the
 * loop spawns its replacement and drains it once that is ready, exactly as
 * for max-requests. No request is cut. While a worker is booting or
 * retiring, the others wait their turn (still counting beats).
 */
export function checkMemory(s: ArbiterState, rec: WorkerRecord): void {
  const limit = s.memoryLimit;
  if (!limit || rec.state !== 'ready') return;
  const over = overLimit(rec.memory, limit);
  rec.overMemoryBeats = over ? rec.overMemoryBeats + 1 : 0;
  // One replacement at a time: a limit below a fresh worker's footprint then recycles one worker after
  // another instead of piling up retiring workers that never see their whole replacement set ready.
  if (over && rec.overMemoryBeats >= (limit.beats ?? DEFAULT_MEMORY_BEATS) && !replacing(s)) {
    rec.state = 'retiring';
    rec.leaveReason = 'memory';
    s.log.warn({ worker: rec.pid, rss: rec.memory.rss, heapUsed: rec.memory.heapUsed }, `worker (pid:${rec.pid}) over its memory limit (${over}) for ${rec.overMemoryBeats} heartbeats: retiring it`);
    s.wake();
  }
}
