// Hostile raw requests against tsgi-proxy and tsgi-appserver: each gets the
// right 4xx/5xx, nothing reaches the app, and the next good request works.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hostileCases, type HostileCase } from '../faults/hostile-cases.ts';
import { goodRequest, rawExchange } from '../faults/raw-client.ts';
import { appAt, APP_LIMITS, PROXY_LIMITS, stackMissing, startFaultStack, type FaultStack } from '../faults/stack.ts';
import { FaultLog } from '../faults/summary.ts';
import { proxyMissing } from '../src/topology/stack.ts';

const log = new FaultLog('hostile');
const skip = stackMissing(false) ?? false;
const proxySkip = proxyMissing() ?? false;

async function check(stack: FaultStack, target: 'appserver' | 'proxy', port: number, c: HostileCase): Promise<void> {
  const ex = await rawExchange(port, c.payload, { timeoutMs: 8000, responses: 1 });
  const status = ex.responses[0]?.status;
  const seen = status !== undefined ? String(status) : ex.closed ? 'closed, no response' : 'no answer (timeout)';
  const statusOk = status !== undefined ? c.expect.includes(status) : Boolean(c.closeOk && ex.closed);
  const next = await goodRequest(port, '/');
  const reached = c.markers.flatMap((m) => stack.seenWith(m)).filter((l) => !c.completeOnly || l.includes(' COMPLETE('));
  const pass = statusOk && reached.length === 0 && next === 200;
  log.add({
    area: `hostile/${target}`,
    case: c.name,
    expected: `${c.expect.join('/')}${c.closeOk ? ' or close' : ''}, ${c.completeOnly ? 'app never gets the body' : 'app untouched'}, next 200`,
    seen: `${seen}; app saw ${reached.length}; next ${next}`,
    pass,
  });
  assert.ok(statusOk, `${c.id}: expected ${c.expect.join('/')}, got ${seen}`);
  assert.deepEqual(reached, [], `${c.id}: refused request reached the app`);
  assert.equal(next, 200, `${c.id}: the next good request failed`);
}

describe('hostile requests', { skip }, () => {
  let stack: FaultStack;
  before(async () => {
    stack = await startFaultStack({ appservers: 1, workers: 1, proxy: proxySkip === false });
  });
  after(async () => {
    await stack?.stop();
    await log.flush();
  });

  for (const c of hostileCases(APP_LIMITS)) {
    const narrowed = c.appserverExpect ? { ...c, expect: c.appserverExpect } : c;
    test(`appserver refuses: ${c.name} (${narrowed.expect.join('/')})`, async () => {
      await check(stack, 'appserver', appAt(stack, 0).port, narrowed);
    });
  }
  for (const c of hostileCases(PROXY_LIMITS)) {
    test(`proxy refuses: ${c.name} (${c.expect.join('/')})`, { skip: proxySkip }, async () => {
      assert.ok(stack.proxy);
      await check(stack, 'proxy', stack.proxy.port, c);
    });
  }
});
