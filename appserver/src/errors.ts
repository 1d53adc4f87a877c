/**
 * The appserver's error catalogue. Codes are stable (APP_ERR_<AREA>_<WHAT>)
 * and never renamed; callers branch on `code`, never on message text.
 */
export class AppserverError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AppserverError';
    this.code = code;
  }
}

/** A setting has a bad value, an unknown flag was given or the config file is unusable. Exit code 2. */
export class ConfigError extends AppserverError {
  /** The setting or flag at fault. */
  readonly key: string;
  constructor(key: string, message: string, options?: { cause?: unknown }) {
    super('APP_ERR_CONFIG_INVALID', message, options);
    this.name = 'ConfigError';
    this.key = key;
  }
}

/** The `module:export` app spec cannot be turned into an app. */
export class AppLoadError extends AppserverError {
  constructor(
    code:
      | 'APP_ERR_APP_MODULE_NOT_FOUND'
      | 'APP_ERR_APP_EXPORT_MISSING'
      | 'APP_ERR_APP_IMPORT_FAILED'
      | 'APP_ERR_APP_INTERFACE_UNKNOWN',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'AppLoadError';
  }
}

/** A listen failed; names the flag the address came from (`--bind`, `--metrics-bind`). Exit code 3. */
export class BindError extends AppserverError {
  readonly flag: string;
  constructor(flag: string, address: string, cause: unknown) {
    const reason = (cause as NodeJS.ErrnoException)?.code === 'EADDRINUSE' ? 'address already in use' : ((cause as Error)?.message ?? String(cause));
    super('APP_ERR_BIND_FAILED', `cannot listen on ${address} (${flag}): ${reason}`, { cause });
    this.name = 'BindError';
    this.flag = flag;
  }
}
