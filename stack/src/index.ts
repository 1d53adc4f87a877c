export { runStack } from './stack.js';
export { loadOptions, helpText, STACK_SETTINGS, type StackOptions } from './options.js';
export { BOOT_FAILURES_TO_HALT } from './supervisor.js';
export { StackError, StackConfigError, STACK_ERRORS, type StackErrorCode } from './errors.js';
