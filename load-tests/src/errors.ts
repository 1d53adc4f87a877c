/**
 * Base class of every error the load-test runner throws. Callers branch on
 * `code` (stable, `LT_ERR_*`), never on the message.
 */
export class LoadTestError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoadTestError';
    this.code = code;
  }
}

/** A bad flag or value; the CLI prints the one-line message and exits 2. */
export class ConfigError extends LoadTestError {
  constructor(message: string) {
    super('LT_ERR_CONFIG', message);
    this.name = 'ConfigError';
  }
}

/** A process of the topology did not become ready (port never accepted, or it exited). */
export class NotReadyError extends LoadTestError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LT_ERR_NOT_READY', message, options);
    this.name = 'NotReadyError';
  }
}

/** A program a scenario needs is missing on this machine (binary, package or CLI source). */
export class MissingProgramError extends LoadTestError {
  constructor(message: string) {
    super('LT_ERR_MISSING_PROGRAM', message);
    this.name = 'MissingProgramError';
  }
}
