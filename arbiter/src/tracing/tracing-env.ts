/** The variables that turn traces on, in the order the OTLP exporter gives them precedence. */
const ENDPOINT_VARS = ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'] as const;

/**
 * Which variable asks for traces, or null when none does: traces are off
 * unless an OTLP endpoint is configured, and `OTEL_TRACES_EXPORTER=none` or
 * `OTEL_SDK_DISABLED=true` turn them off again (the OpenTelemetry
 * specification's meaning of those variables). Only then is the SDK loaded.
 */
export function tracingRequestedBy(env: NodeJS.ProcessEnv): string | null {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporters === 'none') return null;
  for (const name of ENDPOINT_VARS) if ((env[name]?.trim() ?? '') !== '') return name;
  return null;
}
