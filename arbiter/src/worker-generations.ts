import { messageOf } from '@tsgi/errors';
import type { ExitReason } from './arbiter-types.js';
import { rejectReadyWaiters, type ArbiterState } from './arbiter-state.js';
import { ArbiterHaltError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { drainWorker, killWorker, type WorkerRecord } from './worker-record.js';
import { spawnWorker } from './worker-spawner.js';

/**
 * Generations and scale: gunicorn's `manage_workers` plus the HUP reload.
 * A reload retires the current workers and starts a new generation; the old
 * drain only once the new one is fully ready, and a new generation that
 * cannot boot is rolled back instead of halting the master.
 */

function drain(s: ArbiterState, r: WorkerRecord, reason: ExitReason): void {
  drainWorker(r, reason, s.gracefulTimeoutMs, s.killGraceMs);
}

/** HUP: runs the reload hook (throwing cancels), then marks every current worker retiring. */
export async function reload(s: ArbiterState): Promise<void> {
  if (s.stopping || s.halted) return;
  try {
    const changed = await s.options.hooks?.reload?.();
    if (changed?.workers !== undefined) s.target = changed.workers;
    if (changed?.timeoutMs !== undefined) s.timeoutMs = changed.timeoutMs;
    if (changed?.gracefulTimeoutMs !== undefined) s.gracefulTimeoutMs = changed.gracefulTimeoutMs;
    if (changed?.memoryLimit !== undefined) s.memoryLimit = changed.memoryLimit;
  } catch (err) {
    s.log.error({ err }, `reload cancelled: ${messageOf(err)}`);
    return;
  }
  s.generation += 1;
  s.waitingForReload = false;
  for (const r of s.records.values()) {
    if (r.state === 'booting' || r.state === 'ready' || r.state === 'retiring') {
      r.state = 'retiring';
      r.leaveReason = 'reload';
    }
  }
  s.log.info({ generation: s.generation, workers: s.target }, 'reloading: new workers first');
}

/**
 * Brings the active (booting + ready) workers to the target: spawns when
 * under it (unless backing off), drains the oldest when over it. Once the
 * target is ready, retiring workers drain and `start()` resolves.
 */
export function manageWorkers(s: ArbiterState): void {
  const now = Date.now();
  const active = [...s.records.values()].filter((r) => r.state === 'booting' || r.state === 'ready');
  if (active.length < s.target && s.backOff.ready(now) && !s.waitingForReload) {
    for (let i = active.length; i < s.target; i++) spawnWorker(s);
  }
  if (active.length > s.target) {
    const extra = active.sort((a, b) => a.id - b.id).slice(0, active.length - s.target);
    for (const r of extra) drain(s, r, 'scale-down');
  }
  const readyNow = active.filter((r) => r.state === 'ready').length;
  if (readyNow >= s.target) {
    s.startedUp = true;
    const retiring = [...s.records.values()].filter((r) => r.state === 'retiring');
    // One line when a reload's new generation has taken over: what a HUP's caller waits for.
    const replaced = retiring.filter((r) => r.leaveReason === 'reload').length;
    if (replaced > 0) s.log.info({ generation: s.generation, workers: readyNow, retiring: replaced }, `reloaded: generation ${s.generation} serving, the old workers drain`);
    for (const r of retiring) drain(s, r, r.leaveReason ?? 'reload');
    if (s.readyWaiters.length > 0) {
      for (const w of s.readyWaiters) w.resolve();
      s.readyWaiters = [];
    }
  }
}

/** A worker exited 3 (boot error) or 4 (app load error): roll back a reload in progress, else halt the master. */
export function onFatalExit(s: ArbiterState, rec: WorkerRecord, code: number): void {
  const what = code === EXIT.WORKER_BOOT_ERROR ? 'Worker failed to boot' : 'App failed to load';
  const detail = rec.fatal?.message ?? `worker exited with code ${code}`;
  if (rec.rolledBack === true) {
    // Another worker of a generation already rolled back: the old workers are serving, nothing to halt.
    s.log.info({ worker: rec.pid, code }, `worker of the rolled-back reload exited (${what}, logged above)`);
    return;
  }
  const previous = [...s.records.values()].filter((r) => r.generation < rec.generation && r.leaveReason === 'reload');
  if (previous.length > 0) {
    // A HUP whose new code or config cannot start: keep the old generation serving.
    s.log.error({ worker: rec.pid, code }, `reload failed, keeping the previous workers: ${what}: ${detail}`);
    for (const r of s.records.values()) {
      if (r.generation !== rec.generation) continue;
      r.rolledBack = true;
      if (r.state !== 'killing') drain(s, r, 'reload');
    }
    for (const r of previous) {
      if (r.state === 'retiring') {
        r.state = r.everReady ? 'ready' : 'booting';
        r.leaveReason = undefined;
        r.generation = rec.generation;
      }
    }
    return;
  }
  if (s.options.onBootFailure === 'wait' && s.startedUp) {
    // A development reloader: the files on disk are broken until the next change, which reloads.
    if (!s.waitingForReload) s.log.error({ worker: rec.pid, code }, `${what}: ${detail}; no new workers until the next reload`);
    s.waitingForReload = true;
    return;
  }
  s.halted = new ArbiterHaltError(`${what}: ${detail}`, code, rec.fatal?.code);
  s.log.error({ code, workerErrorCode: rec.fatal?.code }, `Shutting down: ${what}: ${detail}`);
  for (const r of s.records.values()) killWorker(r, 'SIGTERM', s.killGraceMs);
  rejectReadyWaiters(s, s.halted);
}
