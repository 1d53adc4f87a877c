import { CtlUsageError } from '../errors.js';

/** What `tsgi-appserver ctl` asks the master's control socket (one per connection). */
export type ControlCommand =
  | { command: 'status' }
  /** `workers N` sets the target; `+1` / `-1` move it like TTIN / TTOU. */
  | { command: 'workers'; set: number }
  | { command: 'workers'; change: 1 | -1 }
  | { command: 'reload' }
  | { command: 'dump'; pid: number };

export const CONTROL_COMMANDS_USAGE = 'status | workers N|+1|-1 | reload | dump PID';

/** The most workers a control command may ask for (the --workers limit). */
const MAX_WORKERS = 1024;

/**
 * Parses the words after `ctl [--socket PATH] [--json]`; the master parses the
 * same words again (it trusts no client). Throws CtlUsageError naming what is wrong.
 */
export function parseControlCommand(words: readonly string[]): ControlCommand {
  const [name, arg, ...extra] = words;
  const usage = (why: string): CtlUsageError => new CtlUsageError(`ctl: ${why} (commands: ${CONTROL_COMMANDS_USAGE})`);
  if (name === undefined) throw usage('no command given');
  const noArg = (c: ControlCommand): ControlCommand => {
    if (arg !== undefined) throw usage(`${name} takes no argument, got "${arg}"`);
    return c;
  };
  if (extra.length > 0) throw usage(`too many arguments: ${extra.join(' ')}`);
  switch (name) {
    case 'status':
      return noArg({ command: 'status' });
    case 'reload':
      return noArg({ command: 'reload' });
    case 'workers':
      if (arg === '+1' || arg === '-1') return { command: 'workers', change: arg === '+1' ? 1 : -1 };
      if (arg !== undefined && /^\d{1,4}$/.test(arg) && Number(arg) >= 1 && Number(arg) <= MAX_WORKERS) return { command: 'workers', set: Number(arg) };
      throw usage(`workers needs N (1 to ${MAX_WORKERS}), +1 or -1, got ${arg === undefined ? 'nothing' : `"${arg}"`}`);
    case 'dump':
      if (arg !== undefined && /^[1-9]\d{0,9}$/.test(arg)) return { command: 'dump', pid: Number(arg) };
      throw usage(`dump needs a worker pid, got ${arg === undefined ? 'nothing' : `"${arg}"`}`);
    default:
      throw usage(`unknown command "${name}"`);
  }
}
