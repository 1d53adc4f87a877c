// The pre-fork master lives in @tsgi/arbiter; its exit codes are the appserver's too.
export { EXIT, ArbiterHaltError } from '@tsgi/arbiter';
export { AppserverError, ConfigError, AppLoadError, BindError, APPSERVER_ERRORS, type AppserverErrorCode } from './errors.js';
export { loadConfig, describeConfig, helpText, type AppserverConfig, type LoadedConfig } from './config.js';
export { SETTINGS, DEFAULT_ACCESS_LOG_FORMAT, type Setting } from './settings.js';
export { compileAccessFormat, type AccessEntry } from './access-log-format.js';
export { reusePortSupported } from './listen-targets.js';
export { main } from './main.js';
