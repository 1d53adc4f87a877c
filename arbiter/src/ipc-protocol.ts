/**
 * The messages between the arbiter and its workers over the cluster IPC
 * channel. Every message carries a `tsgi` discriminator so it never collides
 * with node:cluster's internal messages or other libraries' (prom-client).
 */

/** A short description of one request a worker is serving, for timeout diagnostics. */
export interface InFlightRequest {
  /** e.g. `GET /slow?x=1` */
  request: string;
  remote: string;
  ageMs: number;
}

/** A worker's memory, sent with each heartbeat (bytes). */
export interface WorkerMemory {
  rss: number;
  heapUsed: number;
  /** V8's `heap_size_limit`. */
  heapLimit: number;
}

/** Worker → master. */
export type WorkerMessage =
  | { tsgi: 'hello' }
  | { tsgi: 'ready' }
  | { tsgi: 'heartbeat'; inFlight: number; requests: InFlightRequest[]; served?: number; memory?: WorkerMemory }
  | { tsgi: 'retire'; reason: 'max-requests' }
  | { tsgi: 'fatal'; exitCode: number; code: string; message: string }
  | { tsgi: 'collected'; id: number; data: unknown }
  | { tsgi: 'custom'; data: unknown };

/** Master → worker. */
export type MasterMessage =
  | {
      tsgi: 'init';
      workerId: number;
      generation: number;
      timeoutMs: number;
      gracefulTimeoutMs: number;
      heartbeatMs: number;
      /** The worker's end of a pipe the loop watchdog reports a blocked loop on (-1: none); see BlockedReport. */
      reportFd?: number;
      data: unknown;
    }
  | { tsgi: 'drain'; graceMs: number; reason: string }
  | { tsgi: 'abort' }
  | { tsgi: 'reopen-logs' }
  | { tsgi: 'collect'; id: number; kind: string }
  | { tsgi: 'custom'; data: unknown };

/**
 * What a worker's loop watchdog thread writes (one JSON line) on the report
 * pipe when the event loop has been blocked for a heartbeat period: the IPC
 * channel is served by the blocked loop, so this is how the master learns
 * which request a silent worker is stuck in.
 */
export interface BlockedReport {
  /** The request last started, e.g. `GET /block` ('' when none was in flight). */
  request: string;
  inFlight: number;
  blockedMs: number;
}

/**
 * The watchdog thread's answer to a `{"dump": id}` line the master wrote on
 * the report pipe: the main thread's JS stack (Error.stack-style `    at fn
 * (url:line:col)` lines). `stack` is null when the loop was idle (`idle`: it
 * was not running JS, so there is nothing to show) or did not pause within
 * the capture cap (stuck in native code).
 */
export interface StackDump {
  dump: number;
  pid: number;
  blockedMs: number;
  request: string;
  inFlight: number;
  idle: boolean;
  stack: string | null;
  /** How long the capture took (absent when idle). */
  captureMs?: number;
}

/** The stdio index of the report pipe in every worker the arbiter forks. */
export const REPORT_FD = 4;

const WORKER_TYPES = new Set(['hello', 'ready', 'heartbeat', 'retire', 'fatal', 'collected', 'custom']);
const MASTER_TYPES = new Set(['init', 'drain', 'abort', 'reopen-logs', 'collect', 'custom']);

export function isWorkerMessage(value: unknown): value is WorkerMessage {
  return typeof value === 'object' && value !== null && WORKER_TYPES.has((value as { tsgi?: unknown }).tsgi as string);
}

export function isMasterMessage(value: unknown): value is MasterMessage {
  return typeof value === 'object' && value !== null && MASTER_TYPES.has((value as { tsgi?: unknown }).tsgi as string);
}

/** Heartbeat period for a given worker timeout: several beats fit in one timeout. */
export function heartbeatPeriod(timeoutMs: number): number {
  if (timeoutMs <= 0) return 1000;
  return Math.max(50, Math.min(1000, Math.floor(timeoutMs / 4)));
}
