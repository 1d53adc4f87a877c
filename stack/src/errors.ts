import { defineErrors, errorClass, type CodeOf } from '@tsgi/errors';

/**
 * tsgi-stack's error catalogue. Codes are stable (STACK_ERR_<WHAT>) and never
 * renamed; callers branch on `code`. None reaches an HTTP client: each ends
 * the runner with one line and an exit code.
 */
export const STACK_ERRORS = defineErrors({
  /** A flag or environment variable has a bad value, or a flag is unknown. Exit code 2. */
  STACK_ERR_CONFIG_INVALID: { text: '%s' },
  /** A port the stack needs is taken before anything started. Exit code 2. */
  STACK_ERR_PORT_IN_USE: { text: 'port %s is already in use (needed by %s); stop what holds it and retry' },
  /** A tier's program cannot be found through its package (not installed or not built). Exit code 1. */
  STACK_ERR_TIER_MISSING: { text: '%s' },
  /** A tier failed to boot several times in a row, or refused its own configuration: the stack stops. */
  STACK_ERR_TIER_HALTED: { text: '%s' },
});

export type StackErrorCode = CodeOf<typeof STACK_ERRORS>;

/** Base of tsgi-stack's errors. */
export class StackError<Code extends StackErrorCode = StackErrorCode> extends errorClass(STACK_ERRORS)<Code> {}

/** A flag or environment variable has a bad value. Exit code 2. */
export class StackConfigError extends StackError<'STACK_ERR_CONFIG_INVALID'> {
  constructor(message: string) {
    super('STACK_ERR_CONFIG_INVALID', message);
  }
}
