import type { Readable } from 'node:stream';
import type { BlockedReport } from './ipc-protocol.js';

/**
 * Reads BlockedReport lines from a worker's report pipe (the master's end)
 * and hands each to `onReport`. Anything else on the pipe is ignored.
 */
export function readBlockedReports(pipe: Readable, onReport: (report: BlockedReport) => void): void {
  let pending = '';
  pipe.setEncoding('utf8');
  pipe.on('data', (text: string) => {
    pending += text;
    for (let nl = pending.indexOf('\n'); nl !== -1; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let r: Partial<BlockedReport>;
      try {
        r = JSON.parse(line) as Partial<BlockedReport>;
      } catch {
        continue;
      }
      if (typeof r === 'object' && r !== null && typeof r.request === 'string') {
        onReport({ request: r.request, inFlight: Number(r.inFlight) || 0, blockedMs: Number(r.blockedMs) || 0 });
      }
    }
    // A writer that never ends a line must not grow the master's memory.
    if (pending.length > 65536) pending = '';
  });
  // The pipe closes with the worker; its exit event does the bookkeeping.
  pipe.on('error', () => {});
}
