import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import { MetricsLedger, type MetricJson } from '../src/metrics-ledger.js';

/** A worker's registry as prom-client has it: a counter, a per-process gauge and a gauge that adds up. */
function workerRegistry(requests: number, inFlight: number, rss: number): Promise<MetricJson> {
  const registry = new Registry();
  new Counter({ name: 'x_requests_total', help: 'requests', registers: [registry] }).inc(requests);
  new Gauge({ name: 'x_in_flight', help: 'in flight', registers: [registry] }).set(inFlight);
  new Gauge({ name: 'x_rss_bytes', help: 'rss', registers: [registry] }).set(rss);
  return registry.getMetricsAsJSON();
}

async function rendered(ledger: MetricsLedger): Promise<string> {
  return ledger.render([]).metrics();
}

test('MetricsLedger: a retired worker\'s counters stay in the sum, its gauges leave; summed gauges carry no pid', async () => {
  const ledger = new MetricsLedger({ summedGauge: (name) => name === 'x_in_flight' });
  ledger.spawned(101);
  ledger.spawned(102);
  ledger.record({ pid: 101, metrics: await workerRegistry(10, 1, 500) });
  ledger.record({ pid: 102, metrics: await workerRegistry(5, 2, 700) });
  let text = await rendered(ledger);
  assert.match(text, /^x_requests_total 15$/m);
  assert.match(text, /^x_in_flight 3$/m);
  assert.match(text, /^x_rss_bytes\{pid="101"\} 500$/m);
  assert.match(text, /^x_rss_bytes\{pid="102"\} 700$/m);

  ledger.retire(101);
  // A collect answer that arrives after the exit must not count the worker twice.
  ledger.record({ pid: 101, metrics: await workerRegistry(12, 0, 500) });
  ledger.spawned(103);
  ledger.record({ pid: 103, metrics: await workerRegistry(1, 0, 300) });
  text = await rendered(ledger);
  assert.match(text, /^x_requests_total 16$/m);
  assert.match(text, /^x_in_flight 2$/m);
  assert.doesNotMatch(text, /pid="101"/);

  // A reused pid is a new worker: recorded again, on top of what the old one left.
  ledger.spawned(101);
  ledger.record({ pid: 101, metrics: await workerRegistry(4, 0, 100) });
  assert.match(await rendered(ledger), /^x_requests_total 20$/m);
});

test('MetricsLedger.recordMessage takes a MetricsReporter message and nothing else', async () => {
  const ledger = new MetricsLedger();
  assert.equal(ledger.recordMessage({ other: 1 }), false);
  assert.equal(ledger.recordMessage(null), false);
  assert.equal(ledger.recordMessage({ tsgiMetrics: { pid: 7, metrics: await workerRegistry(3, 0, 1) } }), true);
  assert.match(await rendered(ledger), /^x_requests_total 3$/m);
});
