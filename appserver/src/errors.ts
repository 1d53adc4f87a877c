import { defineErrors, errorClass, type CodeOf, messageOf, errorCode } from '@tsgi/errors';

/**
 * The appserver's error catalogue. Codes are stable (APP_ERR_<AREA>_<WHAT>)
 * and never renamed; callers branch on `code`, never on message text. None
 * reaches an HTTP client: they end the process with an exit code.
 */
export const APPSERVER_ERRORS = defineErrors({
  /** A setting has a bad value, an unknown flag was given or the config file is unusable. Exit code 2. */
  APP_ERR_CONFIG_INVALID: { text: '%s' },
  /** The module of `module:export` does not exist. */
  APP_ERR_APP_MODULE_NOT_FOUND: { text: '%s' },
  /** The module has no such export. */
  APP_ERR_APP_EXPORT_MISSING: { text: '%s' },
  /** Importing the module threw. */
  APP_ERR_APP_IMPORT_FAILED: { text: '%s' },
  /** The export is not an app of the chosen interface (tsgi, node, fetch). */
  APP_ERR_APP_INTERFACE_UNKNOWN: { text: '%s' },
  /** The app runs in debug mode (TSGI_DEBUG=1, or a framework app with `debug: true`) and --allow-debug was not given. Exit code 2. */
  APP_ERR_APP_DEBUG: { text: '%s' },
  /** A listen failed: address, flag, reason. Exit code 3. */
  APP_ERR_BIND_FAILED: { text: 'cannot listen on %s (%s): %s' },
  /** A worker threw before it reported ready (an app hook, a listener the app attached): a boot failure. Exit code 3. */
  APP_ERR_BOOT_FAILED: { text: '%s' },
  /** Logged, not thrown (--sticky): connections the master handed over did not reach the worker, most likely out of file descriptors; closed unanswered. */
  APP_ERR_HANDOVER_LOST: { text: '%s connection(s) handed to a sticky worker did not reach it (out of file descriptors? ulimit -n); closed unanswered' },
  /** Logged, not thrown: a worker used its last file descriptor (`ulimit -n`); libuv closes further connections unanswered. */
  APP_ERR_FD_LIMIT: { text: 'too many open files: all %s file descriptors are in use (ulimit -n); new connections are closed unanswered until some close' },
  /** `tsgi-appserver ctl`: a bad command line (unknown command, bad argument, no --socket). Exit code 2. */
  APP_ERR_CTL_USAGE: { text: '%s' },
  /** `tsgi-appserver ctl`: nothing answers on the control socket. Exit code 1. */
  APP_ERR_CTL_UNREACHABLE: { text: 'cannot reach the control socket %s: %s' },
});

export type AppserverErrorCode = CodeOf<typeof APPSERVER_ERRORS>;
type AppLoadErrorCode = 'APP_ERR_APP_MODULE_NOT_FOUND' | 'APP_ERR_APP_EXPORT_MISSING' | 'APP_ERR_APP_IMPORT_FAILED' | 'APP_ERR_APP_INTERFACE_UNKNOWN' | 'APP_ERR_APP_DEBUG';

/** Base of the appserver's errors. */
export class AppserverError<Code extends AppserverErrorCode = AppserverErrorCode> extends errorClass(APPSERVER_ERRORS)<Code> {}

/** A setting has a bad value, an unknown flag was given or the config file is unusable. Exit code 2. */
export class ConfigError extends AppserverError<'APP_ERR_CONFIG_INVALID'> {
  /** The setting or flag at fault. */
  readonly key: string;
  constructor(key: string, message: string, options?: ErrorOptions) {
    super('APP_ERR_CONFIG_INVALID', message, options);
    this.key = key;
  }
}

/** The `module:export` app spec cannot be turned into an app. */
export class AppLoadError extends AppserverError<AppLoadErrorCode> {
  constructor(code: AppLoadErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
  }
}

/** A listen failed; names the flag the address came from (`--bind`, `--metrics-bind`). Exit code 3. */
export class BindError extends AppserverError<'APP_ERR_BIND_FAILED'> {
  readonly flag: string;
  constructor(flag: string, address: string, cause: unknown) {
    const reason = errorCode(cause) === 'EADDRINUSE' ? 'address already in use' : messageOf(cause);
    super('APP_ERR_BIND_FAILED', address, flag, reason, { cause });
    this.flag = flag;
  }
}

/** `tsgi-appserver ctl`: a bad command line. Exit code 2. */
export class CtlUsageError extends AppserverError<'APP_ERR_CTL_USAGE'> {
  constructor(message: string) {
    super('APP_ERR_CTL_USAGE', message);
  }
}

/** `tsgi-appserver ctl`: nothing answers on the control socket. Exit code 1. */
export class CtlUnreachableError extends AppserverError<'APP_ERR_CTL_UNREACHABLE'> {
  constructor(path: string, reason: string, options?: ErrorOptions) {
    super('APP_ERR_CTL_UNREACHABLE', path, reason, options);
  }
}
