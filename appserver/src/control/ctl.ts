import { createConnection } from 'node:net';
import { EXIT, parseCommandLine, type CliOption, type StackDump } from '@tsgi/arbiter';
import { messageOf } from '@tsgi/errors';
import { CtlUnreachableError, CtlUsageError } from '../errors.js';
import { CONTROL_COMMANDS_USAGE, parseControlCommand, type ControlCommand } from './commands.js';
import type { ControlReply, MasterStatus } from './control-server.js';
import { dumpText, statusTable } from './status-table.js';

export const CTL_USAGE = `usage: tsgi-appserver ctl --socket PATH [--json] <command>
commands: ${CONTROL_COMMANDS_USAGE}
  status        per worker: pid, generation, state, age, requests served, in flight, RSS, heap
  workers N     set the worker count; +1 / -1 as TTIN / TTOU
  reload        as HUP: new workers first, then the old ones drain
  dump PID      that worker's main-thread JS stack (works while its event loop is blocked)
PATH is the master's --control-socket; TSGI_CONTROL_SOCKET is read when --socket is not given.`;

/** How long ctl waits for the master's answer (a dump takes at most 2 s). */
const ANSWER_WAIT_MS = 5000;

/**
 * `tsgi-appserver ctl`: sends one command to a running master's control
 * socket and prints the answer. Resolves the exit code: 0 done, 1 the
 * master refused or could not be reached, 2 a bad command line.
 */
export async function runCtl(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  let socket: string;
  let json: boolean;
  let command: ControlCommand;
  let words: string[];
  try {
    const parsed = parseCliArgs(argv);
    if (parsed.help) {
      process.stdout.write(`${CTL_USAGE}\n`);
      return EXIT.OK;
    }
    const path = parsed.socket ?? env.TSGI_CONTROL_SOCKET;
    if (!path) throw new CtlUsageError('ctl: --socket PATH is required (the master\'s --control-socket)');
    socket = path;
    json = parsed.json;
    words = parsed.words;
    command = parseControlCommand(words);
  } catch (err) {
    process.stderr.write(`tsgi-appserver ${messageOf(err)}\n`);
    return EXIT.USAGE;
  }
  let reply: ControlReply;
  try {
    reply = await ask(socket, words);
  } catch (err) {
    process.stderr.write(`tsgi-appserver ctl: ${messageOf(err)}\n`);
    return EXIT.FAILURE;
  }
  if (!reply.ok) {
    process.stderr.write(`tsgi-appserver ctl: ${reply.error}\n`);
    return EXIT.FAILURE;
  }
  process.stdout.write(`${json ? JSON.stringify(reply.result) : human(command, reply.result)}\n`);
  return EXIT.OK;
}

const CTL_OPTIONS: readonly CliOption[] = [
  { name: 'socket', type: 'string' },
  { name: 'json', type: 'boolean' },
  { name: 'help', short: 'h', type: 'boolean' },
];

function parseCliArgs(argv: readonly string[]): { socket?: string; json: boolean; help: boolean; words: string[] } {
  // `workers -1`: a command argument, not a flag (the only one that starts with a dash, and always the last word).
  const negative = argv.filter((a) => /^-\d+$/.test(a));
  let parsed;
  try {
    parsed = parseCommandLine(argv.filter((a) => !/^-\d+$/.test(a)), CTL_OPTIONS);
  } catch (err) {
    throw new CtlUsageError(`ctl: ${messageOf(err)}`);
  }
  const last = (name: string): string | boolean | undefined => parsed.values.filter((v) => v.name === name).at(-1)?.value;
  const socket = last('socket');
  return {
    socket: typeof socket === 'string' ? socket : undefined,
    json: last('json') === true,
    help: last('help') === true,
    words: [...parsed.positionals, ...negative],
  };
}

function human(command: ControlCommand, result: unknown): string {
  switch (command.command) {
    case 'status':
      return statusTable(result as MasterStatus);
    case 'dump':
      return dumpText(result as StackDump);
    case 'workers':
      return `worker target: ${(result as { workerTarget: number }).workerTarget}`;
    case 'reload':
      return 'reloading: new workers first, then the old ones drain';
  }
}

function ask(path: string, words: readonly string[]): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    const conn = createConnection({ path });
    let text = '';
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new Error(`no answer from the master on ${path} within ${ANSWER_WAIT_MS / 1000} s`));
    }, ANSWER_WAIT_MS);
    conn.setEncoding('utf8');
    conn.on('connect', () => conn.write(`${JSON.stringify({ args: words })}\n`));
    conn.on('data', (chunk: string) => (text += chunk));
    conn.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new CtlUnreachableError(path, err.code === 'EACCES' ? 'permission denied (the socket is mode 0600: run as the master\'s user)' : (err.code ?? err.message), { cause: err }));
    });
    conn.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(text) as ControlReply);
      } catch {
        reject(new Error(`not a control socket answer on ${path}`));
      }
    });
  });
}
