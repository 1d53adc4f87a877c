import type { ExitReason } from './arbiter-types.js';
import { guarded, type ArbiterState } from './arbiter-state.js';
import { EXIT } from './exit-codes.js';
import type { StackDump } from './ipc-protocol.js';
import { onFatalExit } from './worker-generations.js';
import { sendToWorker, signalWorker, workerInfo, type WorkerRecord } from './worker-record.js';

/**
 * gunicorn's `murder_workers`: a worker whose heartbeat is late, or that is
 * still draining past its deadline, is logged with the main thread's JS stack
 * (asked of its watchdog thread, at most STACK_DUMP_WAIT_MS) and the request
 * that blocked it, then aborted; killing workers get SIGKILL once their grace
 * ran out.
 */
export function murderWorkers(s: ArbiterState): void {
  const now = Date.now();
  for (const r of s.records.values()) {
    if (r.state === 'killing') {
      if (now >= r.killAt) {
        r.killAt = now + s.killGraceMs;
        signalWorker(r, 'SIGKILL');
      }
      continue;
    }
    // Booting gets its own allowance: node startup plus the app's import can outlast a short --timeout.
    const limit = r.state === 'booting' ? Math.max(s.timeoutMs, s.bootTimeoutMs) : s.timeoutMs;
    if (s.timeoutMs > 0 && now - r.lastBeat > limit) {
      r.timedOut = true;
      r.leaveReason = 'timeout';
      killAfterStackDump(s, r, (dump) => {
        logTimeout(s, r, now, dump);
        sendToWorker(r, { tsgi: 'abort' });
      });
      continue;
    }
    if (r.state === 'draining' && now >= r.drainDeadline) {
      killAfterStackDump(s, r, (dump) => {
        const fields = { worker: r.pid, ...stackFields(dump) };
        s.log.error(fields, `worker (pid:${r.pid}) did not finish draining in time; killing it`);
      });
    }
  }
}

/**
 * Holds the kill (state `killing`, no deadline yet) until the worker's stack
 * arrived or the wait ran out, logs, then lets the SIGKILL follow after the
 * usual grace.
 */
function killAfterStackDump(s: ArbiterState, r: WorkerRecord, log: (dump: StackDump | undefined) => void): void {
  r.state = 'killing';
  r.killAt = Number.POSITIVE_INFINITY;
  void s.dumps.ask(r).then((dump) =>
    guarded(s, () => {
      log(dump);
      r.killAt = Date.now() + s.killGraceMs;
      s.wake();
    }),
  );
}

/** The stack as log fields (absent when the worker could not give one), with what the capture took. */
function stackFields(dump: StackDump | undefined): { stack?: string; stackMs?: number } {
  if (!dump || dump.idle) return {};
  return { ...(dump.stack ? { stack: dump.stack } : {}), ...(dump.captureMs !== undefined ? { stackMs: dump.captureMs } : {}) };
}

function logTimeout(s: ArbiterState, r: WorkerRecord, now: number, dump: StackDump | undefined): void {
  // The last heartbeat predates the request that blocked the loop; the watchdog's report names it.
  const b = r.blocked;
  const inFlight = b ? b.inFlight : r.inFlight;
  const requests = b ? (b.request ? [{ request: b.request, remote: '-', ageMs: b.blockedMs + (now - b.at) }] : []) : r.requests;
  s.log.error(
    { worker: r.pid, silentMs: now - r.lastBeat, inFlight, requests, ...stackFields(dump) },
    `WORKER TIMEOUT (pid:${r.pid})` + (requests.length ? ` serving ${requests.map((q) => q.request).join(', ')}` : ''),
  );
}

/** Why a worker went away, from its exit code and what the master asked of it. */
function exitReason(rec: WorkerRecord, code: number | null): ExitReason {
  if (code === EXIT.WORKER_BOOT_ERROR) return 'boot-error';
  if (code === EXIT.APP_LOAD_ERROR) return 'app-load-error';
  if (rec.timedOut) return 'timeout';
  if (rec.leaveReason && (code === 0 || rec.state === 'killing')) return rec.leaveReason;
  return 'crash';
}

/**
 * gunicorn's `reap_workers`: forgets each exited worker, logs and reports
 * why it went, feeds the spawn back-off, and hands a boot or app-load
 * failure (exit 3/4) to the generation manager (roll back or halt).
 */
export function reapWorkers(s: ArbiterState): void {
  while (s.exited.length > 0) {
    const { rec, code, signal } = s.exited.shift()!;
    s.records.delete(rec.id);
    s.collector.workerGone(rec.id);
    const reason = exitReason(rec, code);
    const info = workerInfo(rec);
    if (reason === 'crash' || reason === 'timeout') {
      s.log.error({ worker: rec.pid, code, signal, reason }, `worker (pid:${rec.pid}) exited: ${reason}`);
      if (!rec.everReady) s.backOff.failed();
    } else {
      s.log.info({ worker: rec.pid, code, signal, reason }, `worker (pid:${rec.pid}) exited: ${reason}`);
    }
    s.options.hooks?.workerExited?.(info, reason, { code, signal });
    s.emit('workerExit', info, reason);
    if ((reason === 'boot-error' || reason === 'app-load-error') && !s.stopping) onFatalExit(s, rec, code!);
  }
}
