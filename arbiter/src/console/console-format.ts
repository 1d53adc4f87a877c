import { ArbiterError } from '../errors.js';
import { humanLine } from './log-line.js';
import { painterFor, type ColourTarget } from './painter.js';

/** How a CLI writes its log events to stdout/stderr: pino JSON, or one human line per event. */
export type ConsoleFormat = 'json' | 'pretty';

/**
 * The console format for this process: `LOG_FORMAT=json|pretty` when set,
 * else `pretty` when stdout is a terminal and `json` when it is not (a pipe, a
 * file, a container log). Log files named by a flag are always JSON.
 * Throws `ARB_ERR_LOG_FORMAT` for any other LOG_FORMAT value.
 */
export function consoleFormat(env: NodeJS.ProcessEnv, stdout: { isTTY?: boolean }): ConsoleFormat {
  const wanted = env.LOG_FORMAT;
  if (wanted === undefined || wanted === '') return stdout.isTTY === true ? 'pretty' : 'json';
  if (wanted === 'json' || wanted === 'pretty') return wanted;
  throw new ArbiterError('ARB_ERR_LOG_FORMAT', JSON.stringify(wanted));
}

/**
 * A pino `hooks.streamWrite` that turns each serialized record into its human
 * line for `tier`, coloured when `stream` takes colour. It runs synchronously
 * in the logging call, so no worker-thread transport is involved; JSON mode
 * simply does not install it.
 */
export function prettyStreamWrite(tier: string, stream: ColourTarget): (serialized: string) => string {
  const paint = painterFor(stream);
  return (serialized) => `${humanLine(tier, serialized.trimEnd(), paint) ?? ''}\n`;
}
