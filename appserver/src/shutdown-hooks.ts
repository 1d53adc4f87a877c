import type { Logger } from 'pino';
import type { LoadedApp } from './app-loader.js';

/** Hooks always get at least this long, even when draining used up the whole grace period (the master SIGKILLs 1 s after it). */
const MIN_HOOK_MS = 400;

type Listener = (...args: unknown[]) => unknown;

/**
 * The app's chance to clean up when its worker stops (TERM, HUP, TTOU,
 * QUIT, max-requests): once requests and connections are done, the worker
 * runs the module's exported `onShutdown(reason)`, the `process.on('SIGTERM')`
 * listeners the app registered (workers get the master's stop as an IPC
 * message, not a signal, so they would never fire otherwise) and a Fastify
 * instance's `close()` (its onClose hooks), together bounded by what is left
 * of the graceful timeout.
 */
export class ShutdownHooks {
  private readonly ownSigterm: Set<Listener>;
  private signalled_ = false;

  /** Create before the app is imported: SIGTERM listeners present now are the runtime's, not the app's. */
  constructor() {
    const mark = (): void => {
      this.signalled_ = true;
    };
    process.on('SIGTERM', mark);
    this.ownSigterm = new Set(process.listeners('SIGTERM') as Listener[]);
  }

  /**
   * True once the worker itself got SIGTERM: the master's fast stop (INT/QUIT) sends it and SIGKILLs 1 s
   * later, so the drain must be short for the hooks to run at all.
   */
  get signalled(): boolean {
    return this.signalled_;
  }

  async run(app: LoadedApp, reason: string, budgetMs: number, log: Logger): Promise<void> {
    const tasks: Array<[string, () => unknown]> = [];
    const { onShutdown } = app.hooks;
    if (onShutdown) tasks.push(['onShutdown', () => onShutdown(reason)]);
    // A real SIGTERM already reached the app's own listeners (Node called them); do not call them twice.
    if (!this.signalled_) {
      for (const l of process.listeners('SIGTERM') as Listener[]) {
        if (!this.ownSigterm.has(l)) tasks.push(["process.on('SIGTERM')", () => l('SIGTERM')]);
      }
    }
    if (app.kind === 'node' && app.close) {
      const close = app.close;
      tasks.push(['close()', () => close()]);
    }
    if (tasks.length === 0) return;
    const all = (async () => {
      for (const [name, task] of tasks) {
        try {
          await task();
        } catch (err) {
          log.error({ err, hook: name }, `shutdown hook ${name} failed`);
        }
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    const limit = Math.max(MIN_HOOK_MS, budgetMs);
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, limit, 'timeout')));
    const result = await Promise.race([all.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') log.warn({ ms: limit }, 'shutdown hooks did not finish within the graceful timeout; exiting anyway');
  }
}
