import { formatEntry } from '@tsgi/errors';
import type { Logger } from 'pino';
import { APPSERVER_ERRORS } from './errors.js';

/** At most one line per this long while handed-over connections keep getting lost. */
const REPEAT_MS = 30_000;

/**
 * --sticky: a connection sent to a worker that cannot take one more file
 * descriptor arrives without its handle; Node retries, gives up and prints an
 * unstructured `SentHandleNotReceivedWarning` to stderr, one per connection.
 * This takes those over from Node's default warning printer (every other
 * warning still goes to it) and logs them as one error line per 30 s with a
 * count, next to the worker's own APP_ERR_FD_LIMIT line.
 */
export function logLostHandovers(log: Logger): void {
  const printers = process.listeners('warning');
  for (const p of printers) process.off('warning', p);
  let lastLogged = Number.NEGATIVE_INFINITY;
  let lost = 0;
  process.on('warning', (warning) => {
    if (warning.name !== 'SentHandleNotReceivedWarning') {
      for (const p of printers) p(warning);
      return;
    }
    lost++;
    const now = Date.now();
    if (now - lastLogged < REPEAT_MS) return;
    lastLogged = now;
    const { message } = formatEntry(APPSERVER_ERRORS.APP_ERR_HANDOVER_LOST, [String(lost)]);
    log.error({ code: 'APP_ERR_HANDOVER_LOST', lost }, message);
    lost = 0;
  });
}
