export * from './types.js';
export * from './server-types.js';
export * from './errors.js';
export * from './rules.js';
