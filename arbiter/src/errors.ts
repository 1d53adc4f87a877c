import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/**
 * The arbiter's error catalogue. Callers branch on `code`, never on message
 * text. `APP_ERR_ARBITER_HALT` keeps the code it had when the arbiter lived in
 * the appserver: codes are never renamed. None reaches an HTTP client.
 */
export const ARBITER_ERRORS = defineErrors({
  /** Workers cannot boot or cannot load the app (gunicorn's HaltServer). */
  APP_ERR_ARBITER_HALT: { text: '%s' },
  /** The master loop itself failed: a hook threw outside the reload, a fork failed. */
  ARB_ERR_LOOP_CRASHED: { text: 'master loop failed: %s' },
  /** The system refused a new process. */
  ARB_ERR_FORK_FAILED: { text: 'could not fork a worker' },
  /** Misuse of the API: a second `start()`, an Arbiter outside the primary process. */
  ARB_ERR_USAGE: { text: '%s' },
  /** `ready()` waited on an arbiter that was stopped first. */
  ARB_ERR_STOPPED_BEFORE_READY: { text: 'stopped before the workers were ready' },
  /** A flag the program does not know. */
  ARB_ERR_CLI_UNKNOWN_FLAG: { text: 'unknown flag %s' },
  /** A flag given without its value. */
  ARB_ERR_CLI_MISSING_VALUE: { text: '%s needs a value' },
  /** LOG_FORMAT holds something other than json or pretty. */
  ARB_ERR_LOG_FORMAT: { text: 'LOG_FORMAT must be json or pretty, got %s' },
  /** OTEL_EXPORTER_OTLP_*ENDPOINT asks for traces, but the OpenTelemetry packages were left out (npm --omit=optional). */
  ARB_ERR_TRACING_UNAVAILABLE: { text: '%s is set but the OpenTelemetry packages are not installed (%s): install them or unset it' },
  /** An OTEL_* variable the SDK would reject. */
  ARB_ERR_TRACING_CONFIG: { text: '%s' },
});

export type ArbiterErrorCode = CodeOf<typeof ARBITER_ERRORS>;

/** Base of the arbiter's errors (undici's shape: one base class, a fixed `code` per subclass). */
export class ArbiterError<Code extends ArbiterErrorCode = ArbiterErrorCode> extends errorClass(ARBITER_ERRORS)<Code> {}

/** The arbiter stopped because workers cannot boot or cannot load the app (gunicorn's HaltServer). */
export class ArbiterHaltError extends ArbiterError<'APP_ERR_ARBITER_HALT'> {
  /** The worker exit code that caused the halt (3 boot error, 4 app load error). */
  readonly exitCode: number;
  /** The error code the worker reported before exiting, if any. */
  readonly workerErrorCode: string | undefined;
  constructor(message: string, exitCode: number, workerErrorCode?: string) {
    super('APP_ERR_ARBITER_HALT', message);
    this.exitCode = exitCode;
    this.workerErrorCode = workerErrorCode;
  }
}

/**
 * The master loop itself failed (a hook threw outside the reload, a fork
 * failed): the workers were stopped and the master exits with
 * `EXIT.MASTER_FAILURE`. `cause` holds the original error.
 */
export class ArbiterCrashError extends ArbiterError<'ARB_ERR_LOOP_CRASHED'> {
  readonly exitCode: number;
  /** `reason` completes "master loop failed: ...". */
  constructor(reason: string, exitCode: number, options?: ErrorOptions) {
    super('ARB_ERR_LOOP_CRASHED', reason, options);
    this.exitCode = exitCode;
  }
}

/** Misuse of the API: a second `start()`, an Arbiter outside the primary process. */
export class ArbiterUsageError extends ArbiterError<'ARB_ERR_USAGE'> {
  constructor(message: string) {
    super('ARB_ERR_USAGE', message);
  }
}

/** A command line the program cannot take: an unknown flag or a flag without its value. The program exits 2. */
export class CommandLineError extends ArbiterError<'ARB_ERR_CLI_UNKNOWN_FLAG' | 'ARB_ERR_CLI_MISSING_VALUE'> {
  /** The flag as typed. */
  readonly flag: string;
  constructor(code: 'ARB_ERR_CLI_UNKNOWN_FLAG' | 'ARB_ERR_CLI_MISSING_VALUE', flag: string) {
    super(code, flag);
    this.flag = flag;
  }
}
