import { spawn, type ChildProcess } from 'node:child_process';

export interface TerminalRun {
  /** util-linux `script`, which runs the command on a new pseudo-terminal. */
  child: ChildProcess;
  /** Everything the command printed on the terminal so far (CRLF as the terminal sends it). */
  output(): string;
  /** Resolves once `script` exited, with the command's exit code. */
  exited: Promise<number | null>;
}

/** `'…'` quoting for /bin/sh. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs `command args` with stdout and stderr on a real pseudo-terminal (the
 * way a person starts it in a shell), through util-linux `script -qfec`.
 */
export function runInTerminal(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): TerminalRun {
  const line = [command, ...args].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfec', line, '/dev/null'], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

/** Terminal output without ANSI colour codes, split into its non-empty lines. */
export function terminalLines(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- ANSI colour codes start with ESC
  return text.replace(/\x1b\[[0-9;]*m/g, '').split(/\r?\n/).filter((l) => l.trim() !== '');
}
