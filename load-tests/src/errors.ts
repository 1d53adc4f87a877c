import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/** The load-test runner's catalogue. Callers branch on `code` (stable, `LT_ERR_*`), never on the message. */
export const LOAD_TEST_ERRORS = defineErrors({
  /** A bad flag or value; the CLI prints the one-line message and exits 2. */
  LT_ERR_CONFIG: { text: '%s' },
  /** A process of the topology did not become ready (port never accepted, or it exited). */
  LT_ERR_NOT_READY: { text: '%s' },
  /** A program a scenario needs is missing on this machine (binary, package or CLI source). */
  LT_ERR_MISSING_PROGRAM: { text: '%s' },
  /** `--compare` or `--capacity-from` names a file that is not a readable load-tests results file. */
  LT_ERR_COMPARE: { text: 'results file %s: %s' },
  /** `--cpu-budget` could not create or fill a cgroup after detection said it could. */
  LT_ERR_CPU_BUDGET: { text: 'cpu budget: %s' },
  /** Reported by the CLI for an error that is none of the above. */
  LT_ERR_UNEXPECTED: { text: '%s' },
});

export type LoadTestErrorCode = CodeOf<typeof LOAD_TEST_ERRORS>;

/** Base class of every error the load-test runner throws. */
export class LoadTestError<Code extends LoadTestErrorCode = LoadTestErrorCode> extends errorClass(LOAD_TEST_ERRORS)<Code> {}

/** A bad flag or value; the CLI prints the one-line message and exits 2. */
export class ConfigError extends LoadTestError<'LT_ERR_CONFIG'> {
  constructor(message: string) {
    super('LT_ERR_CONFIG', message);
  }
}

/** A process of the topology did not become ready (port never accepted, or it exited). */
export class NotReadyError extends LoadTestError<'LT_ERR_NOT_READY'> {
  constructor(message: string, options?: ErrorOptions) {
    super('LT_ERR_NOT_READY', message, options);
  }
}

/** A program a scenario needs is missing on this machine (binary, package or CLI source). */
export class MissingProgramError extends LoadTestError<'LT_ERR_MISSING_PROGRAM'> {
  constructor(message: string) {
    super('LT_ERR_MISSING_PROGRAM', message);
  }
}
