export { Arbiter } from './arbiter.js';
export {
  ARBITER_SIGNALS,
  type ArbiterExit,
  type ArbiterHooks,
  type ArbiterLogger,
  type ArbiterOptions,
  type ArbiterReload,
  type ArbiterSignal,
  type ExitReason,
  type MemoryLimit,
  type WorkerInfo,
  type WorkerState,
} from './arbiter-types.js';
export { startWorkerRuntime, WorkerRuntime, type WorkerHandlers, type WorkerRuntimeOptions } from './worker-runtime.js';
export type { InFlightRequest, StackDump } from './ipc-protocol.js';
export { EXIT } from './exit-codes.js';
export { ArbiterError, ArbiterHaltError, ArbiterCrashError, ArbiterUsageError, CommandLineError, ARBITER_ERRORS, type ArbiterErrorCode } from './errors.js';
export { parseCommandLine, type CliOption, type CliValue, type ParsedCommandLine } from './command-line.js';
export {
  MetricsLedger,
  isWorkerMetricsReport,
  type MetricJson,
  type MetricsLedgerOptions,
  type MetricsReportMessage,
  type WorkerMetricsReport,
} from './metrics-ledger.js';
export { MetricsReporter, METRICS_REPORT_MS } from './metrics-reporter.js';
export { registerDefaultMetrics } from './default-metrics.js';
export { PortReservation, waitForPortRelease } from './port-reservation.js';
export { MasterServices, type MasterServicesOptions, type MasterServiceHooks } from './master-services.js';
export { MasterMetrics } from './status/master-metrics.js';
export {
  createStatusServer,
  listenStatusServer,
  type HealthAnswer,
  type HealthState,
  type StatusExtension,
  type StatusReply,
  type StatusServer,
  type StatusSources,
  type StatusTarget,
} from './status/status-server.js';
export { consoleFormat, prettyStreamWrite, type ConsoleFormat } from './console/console-format.js';
export { humanLine, jsonLine, tierStyle } from './console/log-line.js';
export { painterFor, type ColourTarget, type Painter, type Style } from './console/painter.js';
export { BackOff } from './back-off.js';
export { RequestTracing, type RemoteParent, type ServerSpan, type SpanAttributes } from './tracing/request-tracing.js';
export { tracingRequestedBy } from './tracing/tracing-env.js';
export { checkTracingEnv } from './tracing/sdk-env.js';
export { parseTraceparent } from './tracing/traceparent.js';
