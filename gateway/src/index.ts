export * from './types.js';
export * from './server-types.js';
export * from './errors.js';
export * from './rules.js';
export { validator, type ValidatorOptions } from './validator/index.js';
export { fromFetch, type FetchHandler } from './adapters/fetch-from.js';
export { toFetch, type ToFetchOptions } from './adapters/fetch-to.js';
export { createServer, serve } from './server/create-server.js';
export { toNodeHandler, type NodeHandler } from './adapters/node-handler.js';
