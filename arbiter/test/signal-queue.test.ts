import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignalQueue } from '../src/signal-queue.js';

function drain(q: SignalQueue): string[] {
  const out: string[] = [];
  for (let s = q.shift(); s; s = q.shift()) out.push(s);
  return out;
}

test('a stop signal after any burst is kept', () => {
  for (const stop of ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const) {
    const q = new SignalQueue();
    for (let i = 0; i < 100; i++) q.push(i % 3 === 0 ? 'SIGHUP' : 'SIGTTIN');
    q.push(stop);
    assert.equal(drain(q).at(-1), stop);
  }
});

test('waiting HUPs collapse into one; TTIN and TTOU each count', () => {
  const q = new SignalQueue();
  for (let i = 0; i < 10; i++) q.push('SIGHUP');
  q.push('SIGTTIN');
  q.push('SIGTTIN');
  q.push('SIGHUP');
  q.push('SIGTTOU');
  assert.deepEqual(drain(q), ['SIGHUP', 'SIGTTIN', 'SIGTTIN', 'SIGTTOU']);
  // Once handled, a new HUP is queued again.
  q.push('SIGHUP');
  assert.deepEqual(drain(q), ['SIGHUP']);
});
