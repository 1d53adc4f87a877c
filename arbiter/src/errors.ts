/**
 * The arbiter's error catalogue (undici's shape: one base class, a constant
 * `code` per subclass). Callers branch on `code`, never on message text.
 * `APP_ERR_ARBITER_HALT` keeps the code it had when the arbiter lived in the
 * appserver: codes are never renamed.
 */
export class ArbiterError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArbiterError';
    this.code = code;
  }
}

/** The arbiter stopped because workers cannot boot or cannot load the app (gunicorn's HaltServer). */
export class ArbiterHaltError extends ArbiterError {
  /** The worker exit code that caused the halt (3 boot error, 4 app load error). */
  readonly exitCode: number;
  /** The error code the worker reported before exiting, if any. */
  readonly workerErrorCode: string | undefined;
  constructor(message: string, exitCode: number, workerErrorCode?: string) {
    super('APP_ERR_ARBITER_HALT', message);
    this.name = 'ArbiterHaltError';
    this.exitCode = exitCode;
    this.workerErrorCode = workerErrorCode;
  }
}

/**
 * The master loop itself failed (a hook threw outside the reload, a fork
 * failed): the workers were stopped and the master exits with
 * `EXIT.MASTER_FAILURE`. `cause` holds the original error.
 */
export class ArbiterCrashError extends ArbiterError {
  readonly exitCode: number;
  constructor(message: string, exitCode: number, options?: { cause?: unknown }) {
    super('ARB_ERR_LOOP_CRASHED', message, options);
    this.name = 'ArbiterCrashError';
    this.exitCode = exitCode;
  }
}

/** Misuse of the API: a second `start()`, an Arbiter outside the primary process. */
export class ArbiterUsageError extends ArbiterError {
  constructor(message: string) {
    super('ARB_ERR_USAGE', message);
    this.name = 'ArbiterUsageError';
  }
}

/** A command line the program cannot take: an unknown flag or a flag without its value. The program exits 2. */
export class CommandLineError extends ArbiterError {
  /** The flag as typed. */
  readonly flag: string;
  constructor(code: 'ARB_ERR_CLI_UNKNOWN_FLAG' | 'ARB_ERR_CLI_MISSING_VALUE', flag: string, message: string) {
    super(code, message);
    this.name = 'CommandLineError';
    this.flag = flag;
  }
}
