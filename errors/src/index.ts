export {
  defineErrors,
  formatEntry,
  arityOf,
  isValidStatus,
  CODE_PATTERN,
  type ErrorEntry,
  type ErrorCatalogue,
  type CodeOf,
  type TextArgs,
  type ErrorArgs,
} from './catalogue.js';
export { CataloguedError, errorClass, type CataloguedErrorClass } from './catalogued-error.js';
export { messageOf, errorCode, isErrnoException, asError } from './narrow.js';
