import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArbiterError, RequestTracing, checkTracingEnv, tracingRequestedBy } from '@tsgi/arbiter';

const ENDPOINT = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' };

test('traces are on only with an OTLP endpoint, and OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true turn them off again', async () => {
  assert.equal(tracingRequestedBy({}), null);
  assert.equal(tracingRequestedBy({ OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }), null);
  assert.equal(tracingRequestedBy(ENDPOINT), 'OTEL_EXPORTER_OTLP_ENDPOINT');
  assert.equal(tracingRequestedBy({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  assert.equal(tracingRequestedBy({ ...ENDPOINT, OTEL_TRACES_EXPORTER: 'none' }), null);
  assert.equal(tracingRequestedBy({ ...ENDPOINT, OTEL_SDK_DISABLED: 'TRUE' }), null);
  assert.equal(tracingRequestedBy({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), null);
  assert.equal(await RequestTracing.start('svc', {}), null, 'nothing is loaded when off');
});

test('the sampler and batch variables are checked when traces are on: one message naming the variable', () => {
  const code = (env: NodeJS.ProcessEnv): string | undefined => {
    try {
      checkTracingEnv(env);
      return undefined;
    } catch (err) {
      assert.ok(err instanceof ArbiterError);
      return `${err.code}: ${err.message}`;
    }
  };
  for (const sampler of ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'PARENTBASED_TRACEIDRATIO']) {
    assert.equal(code({ ...ENDPOINT, OTEL_TRACES_SAMPLER: sampler, OTEL_TRACES_SAMPLER_ARG: '0.25' }), undefined, sampler);
  }
  assert.match(code({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'sometimes' }) ?? '', /^ARB_ERR_TRACING_CONFIG: OTEL_TRACES_SAMPLER must be one of .*got "sometimes"$/);
  assert.match(code({ ...ENDPOINT, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }) ?? '', /OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got "1.5"/);
  assert.match(code({ ...ENDPOINT, OTEL_BSP_SCHEDULE_DELAY: '-1' }) ?? '', /OTEL_BSP_SCHEDULE_DELAY must be a positive integer, got "-1"/);
  assert.equal(code({ OTEL_TRACES_SAMPLER: 'sometimes' }), undefined, 'not read while traces are off');
});
