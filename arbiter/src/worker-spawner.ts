import cluster from 'node:cluster';
import type { Duplex } from 'node:stream';
import { guarded, type ArbiterState } from './arbiter-state.js';
import { ArbiterError } from './errors.js';
import { heartbeatPeriod, isWorkerMessage, REPORT_FD, type WorkerMessage } from './ipc-protocol.js';
import { readReports } from './report-pipe.js';
import { checkMemory } from './memory-limit.js';
import { createWorkerRecord, sendToWorker, workerInfo, type WorkerRecord } from './worker-record.js';

/**
 * gunicorn's `spawn_worker`: forks one worker into the current generation and
 * wires its IPC, its report pipe and its exit (queued for the reaper). A
 * failed fork throws: the loop stops the workers and exits MASTER_CRASH.
 */
export function spawnWorker(s: ArbiterState): void {
  const worker = cluster.fork();
  if (worker.process.pid === undefined) {
    // The system refused the process (EAGAIN, EMFILE, ENOMEM): no exit event will ever come for it.
    worker.process.once('error', (err) => s.log.error({ err }, `fork failed: ${err.message}`));
    throw new ArbiterError('ARB_ERR_FORK_FAILED', 'the system refused a new process');
  }
  const rec = createWorkerRecord(worker, s.generation, Date.now());
  s.records.set(rec.id, rec);
  worker.on('message', (msg: unknown) => {
    if (isWorkerMessage(msg)) guarded(s, () => onWorkerMessage(s, rec, msg));
  });
  worker.on('error', (err) => s.log.warn({ worker: rec.pid, err }, 'worker IPC error'));
  const reports = worker.process.stdio?.[REPORT_FD] as Duplex | null | undefined;
  if (reports) {
    rec.reports = reports;
    readReports(reports, {
      blocked: (report) => (rec.blocked = { ...report, at: Date.now() }),
      dump: (answer) => s.dumps.answered(answer),
    });
  }
  worker.on('exit', (code, signal) => {
    s.dumps.workerGone(rec.id);
    s.exited.push({ rec, code, signal });
    s.childExited();
  });
  s.log.info({ worker: rec.pid, generation: rec.generation }, `Booting worker with pid: ${rec.pid}`);
  s.options.hooks?.workerSpawned?.(workerInfo(rec));
}

/** The worker side of the IPC protocol (ipc-protocol.ts), as the master handles it. */
function onWorkerMessage(s: ArbiterState, rec: WorkerRecord, msg: WorkerMessage): void {
  switch (msg.tsgi) {
    case 'hello':
      sendToWorker(rec, {
        tsgi: 'init',
        workerId: rec.id,
        generation: rec.generation,
        timeoutMs: s.timeoutMs,
        gracefulTimeoutMs: s.gracefulTimeoutMs,
        heartbeatMs: heartbeatPeriod(s.timeoutMs),
        reportFd: rec.worker.process.stdio?.[REPORT_FD] ? REPORT_FD : -1,
        data: s.options.workerData?.({ id: rec.id, generation: rec.generation }),
      });
      // Told to drain before it could hear it (TERM, HUP or TTOU while it was starting): say it again now.
      if (rec.state === 'draining') {
        sendToWorker(rec, { tsgi: 'drain', graceMs: Math.max(0, rec.drainDeadline - Date.now() - s.killGraceMs), reason: rec.leaveReason ?? 'stop' });
      }
      return;
    case 'ready':
      rec.everReady = true;
      rec.lastBeat = Date.now();
      if (rec.state === 'booting') rec.state = 'ready';
      s.backOff.succeeded();
      s.options.hooks?.workerReady?.(workerInfo(rec));
      s.emit('workerReady', workerInfo(rec));
      s.wake();
      return;
    case 'heartbeat':
      rec.lastBeat = Date.now();
      rec.inFlight = msg.inFlight;
      rec.requests = msg.requests;
      rec.blocked = undefined;
      if (msg.served !== undefined) rec.served = msg.served;
      if (msg.memory) {
        rec.memory = msg.memory;
        checkMemory(s, rec);
      }
      return;
    case 'retire':
      if (rec.state === 'ready') {
        rec.state = 'retiring';
        rec.leaveReason = msg.reason;
        s.wake();
      }
      return;
    case 'fatal':
      rec.fatal = { exitCode: msg.exitCode, code: msg.code, message: msg.message };
      return;
    case 'collected':
      s.collector.answered(rec.id, msg.id, msg.data);
      return;
    case 'custom':
      s.options.hooks?.message?.(workerInfo(rec), msg.data);
      s.emit('message', workerInfo(rec), msg.data);
      return;
  }
}
