import type { ServerResponse } from 'node:http';

/**
 * The one place the gateway reads a private field of Node's: no public API
 * tells whether node:http already answered `Expect: 100-continue` (it does
 * so itself, before 'request', when the server has no 'checkContinue'
 * listener). Checked on Node 22 and 24 by test/node-internals.test.ts; if a
 * Node release drops the field, the adapter sends a second `100 Continue`,
 * which HTTP allows (a client reads any number of 1xx before the answer).
 */
export function continueAlreadySent(res: ServerResponse): boolean {
  return (res as unknown as { _sent100?: unknown })._sent100 === true;
}
