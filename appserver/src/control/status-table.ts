import type { StackDump } from '@tsgi/arbiter';
import type { MasterStatus } from './control-server.js';

const MB = 1024 * 1024;

function age(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `ctl status` for people: one row per worker, columns aligned. */
export function statusTable(status: MasterStatus): string {
  const header = ['PID', 'GEN', 'STATE', 'AGE', 'REQUESTS', 'IN-FLIGHT', 'RSS', 'HEAP'];
  const rows = status.workers.map((w) => [
    String(w.pid),
    String(w.generation),
    w.state,
    age(w.ageMs),
    String(w.requests),
    String(w.inFlight),
    w.rss ? `${(w.rss / MB).toFixed(1)}M` : '-',
    w.heapUsed ? `${(w.heapUsed / MB).toFixed(1)}M` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [`master ${status.pid}, ${status.workerTarget} worker(s) wanted`, line(header), ...rows.map(line)].join('\n');
}

/** `ctl dump` for people: what the worker is doing and its main thread's stack. */
export function dumpText(dump: StackDump): string {
  const serving = dump.request ? `last request started: ${dump.request}; ${dump.inFlight} in flight` : `${dump.inFlight} in flight`;
  if (dump.idle) return `worker ${dump.pid}: event loop idle (not running JS, nothing to show); ${serving}`;
  const head = `worker ${dump.pid}: event loop busy for ${dump.blockedMs} ms; ${serving}`;
  return dump.stack ? `${head}\n${dump.stack}` : `${head}\n(no stack: the main thread did not pause within the cap; stuck in native code?)`;
}
