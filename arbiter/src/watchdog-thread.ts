/**
 * The source of the loop watchdog's thread (run with `new Worker(source, { eval: true })`,
 * so it needs no file of its own next to the built or the tsx-run runtime).
 *
 * Slots of `shared` (Int32Array): 0 the main loop's last tick (ms since
 * `origin`), 1 the byte length of the current request in `text`, 2 in-flight.
 *
 * On the report pipe (the worker's REPORT_FD, a socket pair the master holds
 * the other end of) it writes BlockedReport lines, and answers `{"dump": id}`
 * lines with a StackDump line: the main thread's JS stack, captured with an
 * inspector session connected to the main thread (`Debugger.pause` interrupts
 * even a busy loop: V8 checks for interrupts in every loop back edge). The
 * capture costs nothing until asked for and is bounded by `captureCapMs`: a
 * main thread stuck in native code never pauses, and the answer then has no
 * stack.
 */
export const WATCHDOG_THREAD_SOURCE = `
'use strict';
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { Socket } = require('node:net');
const { Session } = require('node:inspector');
const { shared, text, thresholdMs, fd, reportFd, reportMs, tickMs, captureCapMs, maxFrames, origin, pid } = workerData;
let reportedAt = -1;
let toldMasterAt = -1;
let capturing;
const current = () => Buffer.from(text.buffer, 0, Atomics.load(shared, 1)).toString('utf8');
const lastTick = () => Atomics.load(shared, 0);
// The main loop ticks every tickMs: a gap well past that is a blocked loop, a shorter one an idle or busy one.
const idleBelowMs = 2 * tickMs + 50;

let pipe;
if (reportFd >= 0) {
  pipe = new Socket({ fd: reportFd, readable: true, writable: true });
  pipe.on('error', () => {});
  pipe.setEncoding('utf8');
  let pending = '';
  pipe.on('data', (chunk) => {
    pending += chunk;
    for (let nl = pending.indexOf('\\n'); nl !== -1; nl = pending.indexOf('\\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      let ask;
      try { ask = JSON.parse(line); } catch { continue; }
      if (ask && Number.isInteger(ask.dump)) void answerDump(ask.dump);
    }
    if (pending.length > 4096) pending = '';
  });
}
const send = (value) => {
  if (pipe && !pipe.destroyed) pipe.write(JSON.stringify(value) + '\\n');
};

function frameLine(frame, urls) {
  const url = frame.url || urls.get(frame.location.scriptId) || '<unknown>';
  return '    at ' + (frame.functionName || '<anonymous>') + ' (' + url + ':' + (frame.location.lineNumber + 1) + ':' + ((frame.location.columnNumber || 0) + 1) + ')';
}

/** Resolves the main thread's stack as Error.stack-style lines, or null when it did not pause within the cap. */
function captureStack() {
  capturing ??= new Promise((resolve) => {
    const session = new Session();
    const urls = new Map();
    let done = false;
    const finish = (stack) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      capturing = undefined;
      try {
        session.post('Debugger.resume');
        session.post('Debugger.disable', () => session.disconnect());
      } catch {}
      resolve(stack);
    };
    const timer = setTimeout(() => {
      finish(null);
      try { session.disconnect(); } catch {}
    }, captureCapMs);
    session.on('Debugger.scriptParsed', (m) => urls.set(m.params.scriptId, m.params.url));
    session.once('Debugger.paused', (m) => finish(m.params.callFrames.slice(0, maxFrames).map((f) => frameLine(f, urls)).join('\\n')));
    try {
      session.connectToMainThread();
      session.post('Debugger.enable', (err) => {
        if (err) return finish(null);
        session.post('Debugger.pause', (e) => { if (e) finish(null); });
      });
    } catch {
      finish(null);
    }
  });
  return capturing;
}

async function answerDump(id) {
  const blockedMs = Date.now() - origin - lastTick();
  const about = { dump: id, pid, blockedMs, request: current(), inFlight: Atomics.load(shared, 2) };
  // An idle loop would pause at its next timer (ours): say it is idle instead of showing that.
  if (blockedMs < idleBelowMs) return send({ ...about, idle: true, stack: null });
  const started = Date.now();
  const stack = await captureStack();
  send({ ...about, idle: false, stack, captureMs: Date.now() - started });
}

setInterval(() => {
  const last = lastTick();
  const blocked = Date.now() - origin - last;
  if (reportMs > 0 && blocked >= reportMs && toldMasterAt !== last) {
    toldMasterAt = last;
    send({ request: current(), inFlight: Atomics.load(shared, 2), blockedMs: blocked });
  }
  if (thresholdMs > 0 && blocked >= thresholdMs && reportedAt !== last) {
    reportedAt = last;
    const request = current();
    const line = JSON.stringify({ level: 50, time: Date.now(), pid, blockedMs: blocked, request, inFlight: Atomics.load(shared, 2),
      msg: 'worker event loop blocked for ' + blocked + ' ms while serving ' + (request || '(no request)') });
    try { writeSync(fd, line + '\\n'); } catch {}
  }
}, Math.max(20, Math.min(250, (reportMs || 1000) / 4)));
`;
