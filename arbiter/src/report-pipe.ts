import type { Duplex } from 'node:stream';
import type { BlockedReport, StackDump } from './ipc-protocol.js';

/** What the master hears on one worker's report pipe. */
export interface ReportListener {
  blocked(report: BlockedReport): void;
  dump(answer: StackDump): void;
}

/**
 * Reads the lines a worker's watchdog thread writes on its report pipe (the
 * master's end): BlockedReports and answers to stack dump requests. Anything
 * else on the pipe is ignored.
 */
export function readReports(pipe: Duplex, on: ReportListener): void {
  let pending = '';
  pipe.setEncoding('utf8');
  pipe.on('data', (text: string) => {
    pending += text;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof r !== 'object' || r === null || typeof r.request !== 'string') continue;
      const about = { request: r.request, inFlight: Number(r.inFlight) || 0, blockedMs: Number(r.blockedMs) || 0 };
      if (Number.isInteger(r.dump)) {
        const stack = typeof r.stack === 'string' ? r.stack : null;
        const captureMs = typeof r.captureMs === 'number' ? { captureMs: r.captureMs } : {};
        on.dump({ ...about, dump: r.dump as number, pid: Number(r.pid) || 0, idle: r.idle === true, stack, ...captureMs });
      } else {
        on.blocked(about);
      }
    }
    // A writer that never ends a line must not grow the master's memory (a stack is capped at 30 frames).
    if (pending.length > 262_144) pending = '';
  });
  // The pipe closes with the worker; its exit event does the bookkeeping.
  pipe.on('error', () => {});
}

/** Asks the worker's watchdog thread for the main thread's stack. */
export function askForDump(pipe: Duplex, id: number): void {
  if (!pipe.destroyed && pipe.writable) pipe.write(`${JSON.stringify({ dump: id })}\n`);
}
