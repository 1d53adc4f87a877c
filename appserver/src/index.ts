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
  type WorkerInfo,
  type WorkerState,
} from './arbiter-types.js';
export { startWorkerRuntime, WorkerRuntime, type WorkerHandlers, type WorkerRuntimeOptions } from './worker-runtime.js';
export type { InFlightRequest } from './ipc-protocol.js';
export { EXIT } from './exit-codes.js';
export { AppserverError, ConfigError, AppLoadError, ArbiterHaltError } from './errors.js';
export { loadConfig, describeConfig, helpText, type AppserverConfig, type LoadedConfig } from './config.js';
export { SETTINGS, DEFAULT_ACCESS_LOG_FORMAT, type Setting } from './settings.js';
export { compileAccessFormat, type AccessEntry } from './access-log-format.js';
export { reusePortSupported } from './listen-targets.js';
export { main } from './main.js';
