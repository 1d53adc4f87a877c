import type { Worker } from 'node:cluster';
import type { Duplex } from 'node:stream';
import type { ExitReason, WorkerInfo, WorkerState } from './arbiter-types.js';
import type { BlockedReport, InFlightRequest, WorkerMemory } from './ipc-protocol.js';

/** One worker as the master tracks it; WorkerInfo is its public snapshot. */
export interface WorkerRecord {
  worker: Worker;
  id: number;
  pid: number;
  generation: number;
  state: WorkerState;
  spawnedAt: number;
  lastBeat: number;
  inFlight: number;
  requests: InFlightRequest[];
  served: number;
  memory: WorkerMemory;
  /** Heartbeats in a row over the memory limit. */
  overMemoryBeats: number;
  /** The master's end of the worker's report pipe (its watchdog thread's BlockedReports and stack dumps). */
  reports?: Duplex;
  /** What the worker's loop watchdog reported since the last heartbeat (its loop is blocked). */
  blocked?: BlockedReport & { at: number };
  everReady: boolean;
  /** Why this worker is retiring/draining; becomes the exit reason. */
  leaveReason?: ExitReason;
  drainDeadline: number;
  killAt: number;
  timedOut: boolean;
  fatal?: { exitCode: number; code: string; message: string };
  /** Of a reload generation already rolled back: its own boot error is expected and must not halt the master. */
  rolledBack?: boolean;
}

/** A worker's exit event, queued by its listener until the loop reaps it. */
export interface ExitedWorker {
  rec: WorkerRecord;
  code: number | null;
  signal: string | null;
}

export function createWorkerRecord(worker: Worker, generation: number, now: number): WorkerRecord {
  return {
    worker,
    id: worker.id,
    pid: worker.process.pid ?? 0,
    generation,
    state: 'booting',
    spawnedAt: now,
    lastBeat: now,
    inFlight: 0,
    requests: [],
    served: 0,
    memory: { rss: 0, heapUsed: 0, heapLimit: 0 },
    overMemoryBeats: 0,
    everReady: false,
    drainDeadline: Number.POSITIVE_INFINITY,
    killAt: Number.POSITIVE_INFINITY,
    timedOut: false,
  };
}

export function workerInfo(r: WorkerRecord): WorkerInfo {
  return {
    id: r.id,
    pid: r.pid,
    generation: r.generation,
    state: r.state,
    spawnedAt: r.spawnedAt,
    lastBeat: r.lastBeat,
    inFlight: r.inFlight,
    requests: r.requests,
    served: r.served,
    rss: r.memory.rss,
    heapUsed: r.memory.heapUsed,
  };
}

/** Sends an IPC message if the channel is still open; a closed one means the exit event is on its way. */
export function sendToWorker(rec: WorkerRecord, msg: object): void {
  if (!rec.worker.isConnected()) return;
  try {
    rec.worker.send(msg);
  } catch {
    // The channel closed between the check and the send; the exit event follows.
  }
}

export function signalWorker(rec: WorkerRecord, sig: NodeJS.Signals): void {
  try {
    rec.worker.process.kill(sig);
  } catch {
    // Already gone; reaped via the exit event.
  }
}

/** Asks a worker to finish its in-flight requests and exit; the murderer kills it past the deadline. */
export function drainWorker(r: WorkerRecord, reason: ExitReason, gracefulTimeoutMs: number, killGraceMs: number): void {
  r.leaveReason = r.leaveReason === 'reload' || r.leaveReason === 'max-requests' || r.leaveReason === 'memory' ? r.leaveReason : reason;
  // A booting worker serves nothing yet and may not read messages yet (a drain sent before its init
  // is dropped, and it would boot and serve on): stop it with SIGTERM, which reaches it at any stage.
  if (r.state === 'booting') return killWorker(r, 'SIGTERM', killGraceMs);
  r.state = 'draining';
  r.drainDeadline = Date.now() + gracefulTimeoutMs + killGraceMs;
  sendToWorker(r, { tsgi: 'drain', graceMs: gracefulTimeoutMs, reason: r.leaveReason });
}

/** Sends `sig` now; the murderer follows with SIGKILL `killGraceMs` later. */
export function killWorker(r: WorkerRecord, sig: NodeJS.Signals, killGraceMs: number): void {
  if (r.state !== 'killing') {
    r.state = 'killing';
    r.killAt = Date.now() + killGraceMs;
    r.leaveReason ??= 'stop';
  }
  signalWorker(r, sig);
}
