export { scaffold, type ScaffoldResult } from './scaffold.js';
export { parseCommand, USAGE, type ScaffoldOptions, type ParsedCommand } from './options.js';
export { TEMPLATE_NAMES, type TemplateName } from './templates.js';
export { CreateTsgiError, CREATE_ERRORS, type CreateErrorCode } from './errors.js';
