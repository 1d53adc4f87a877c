import type { TestContext } from 'node:test';
import { serve, validator, type App, type RunningServer, type ServerOptions } from '@tsgi/gateway';

// Requests go through @tsgi/test-support: `request` (undici) for well-formed ones, `rawExchange` and
// `RawConnection` for raw bytes and streaming.
export { httpRequest as request, rawExchange, RawConnection, header } from '@tsgi/test-support';

/**
 * Serves `app` on 127.0.0.1:0 behind the gateway validator, so every test
 * also proves the middleware's output follows the interface rules: a rule
 * broken anywhere fails the test at cleanup. Closed when the test ends.
 */
export async function start(t: TestContext, app: App, options: ServerOptions = {}): Promise<RunningServer & { violations: string[] }> {
  const violations: string[] = [];
  // forwardedAllowIps: [] so the server itself believes no X-Forwarded-Proto:
  // what a test sees of forwarded headers is proxyFix's doing alone.
  const running = await serve(validator(app, { log: (line) => violations.push(line) }), { port: 0, forwardedAllowIps: [], ...options });
  t.after(async () => {
    await running.close(200);
    if (violations.length > 0) throw new Error(`interface violations:\n${violations.join('\n')}`);
  });
  return Object.assign(running, { violations });
}

/** The inner app is validated too: what the middleware hands it must be a valid environ. */
export function checked(app: App, violations: string[]): App {
  return validator(app, { log: (line) => violations.push(line) });
}

/** A response chunk as bytes. */
export const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** A promise with its resolver, for apps that wait on the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
