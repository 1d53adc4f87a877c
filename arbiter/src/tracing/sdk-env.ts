import type * as OtelSdk from '@opentelemetry/sdk-trace';
import type { Sampler } from '@opentelemetry/sdk-trace';
import { ArbiterError } from '../errors.js';
import { tracingRequestedBy } from './tracing-env.js';

type SdkSamplers = Pick<typeof OtelSdk, 'AlwaysOnSampler' | 'AlwaysOffSampler' | 'TraceIdRatioBasedSampler' | 'ParentBasedSampler'>;

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
type SamplerName = (typeof SAMPLERS)[number];

/** `OTEL_TRACES_SAMPLER` and its ratio, checked; throws ARB_ERR_TRACING_CONFIG naming the variable. */
function samplerSpec(env: NodeJS.ProcessEnv): { name: SamplerName; ratio: number } {
  const name = (env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on').toLowerCase();
  if (!(SAMPLERS as readonly string[]).includes(name)) {
    throw new ArbiterError('ARB_ERR_TRACING_CONFIG', `OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(env.OTEL_TRACES_SAMPLER)}`);
  }
  const raw = env.OTEL_TRACES_SAMPLER_ARG?.trim() ?? '';
  const ratio = raw === '' ? 1 : Number(raw);
  if (name.endsWith('traceidratio') && (!Number.isFinite(ratio) || ratio < 0 || ratio > 1)) {
    throw new ArbiterError('ARB_ERR_TRACING_CONFIG', `OTEL_TRACES_SAMPLER_ARG must be a ratio from 0 to 1, got ${JSON.stringify(raw)}`);
  }
  return { name: name as SamplerName, ratio };
}

/**
 * The sampler named by `OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG`
 * (the OpenTelemetry SDK environment specification's values; default
 * `parentbased_always_on`): @opentelemetry/sdk-trace 3 no longer reads them itself.
 */
export function samplerFromEnv(sdk: SdkSamplers, env: NodeJS.ProcessEnv): Sampler {
  const { name, ratio } = samplerSpec(env);
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * Checks the `OTEL_*` variables this project reads itself (sampler, batch
 * settings) when traces are on, without loading the SDK: the CLIs call it
 * with their config, so a typo is one line and exit 2, not a worker that cannot boot.
 */
export function checkTracingEnv(env: NodeJS.ProcessEnv): void {
  if (tracingRequestedBy(env) === null) return;
  samplerSpec(env);
  batchOptionsFromEnv(env);
}

const BATCH_VARS = {
  OTEL_BSP_SCHEDULE_DELAY: 'scheduledDelayMillis',
  OTEL_BSP_EXPORT_TIMEOUT: 'exportTimeoutMillis',
  OTEL_BSP_MAX_QUEUE_SIZE: 'maxQueueSize',
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: 'maxExportBatchSize',
} as const;

type BatchOptions = Partial<Record<(typeof BATCH_VARS)[keyof typeof BATCH_VARS], number>>;

/** The batch span processor's `OTEL_BSP_*` settings (the SDK's defaults where unset); throws naming a variable that is not a positive integer. */
export function batchOptionsFromEnv(env: NodeJS.ProcessEnv): BatchOptions {
  const out: BatchOptions = {};
  for (const [name, key] of Object.entries(BATCH_VARS)) {
    const raw = env[name]?.trim() ?? '';
    if (raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n <= 0) throw new ArbiterError('ARB_ERR_TRACING_CONFIG', `${name} must be a positive integer, got ${JSON.stringify(raw)}`);
    out[key] = n;
  }
  return out;
}
