import { spawn, type ChildProcess } from 'node:child_process';

export interface ReadyProcess {
  child: ChildProcess;
  /** The port the process said it listens on (the `ready` pattern's first group). */
  port: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** A line on stdout or stderr whose first group is the port, e.g. /Listening at: http:\/\/127\.0\.0\.1:(\d+)/. */
  ready: RegExp;
  /** Default 20 s. */
  timeoutMs?: number;
}

/**
 * Starts a server process (gunicorn, a Flask app, ...) on a port it picks
 * itself and resolves once it says which, never after a sleep; rejects with
 * its output if it exits or stays silent first.
 */
export function startProcess(command: string, args: readonly string[], options: StartOptions): Promise<ReadyProcess> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (graceMs = 5000): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop(0);
      reject(new Error(`${command} did not say ${String(options.ready)} within ${options.timeoutMs ?? 20_000} ms: ${log}`));
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      const match = options.ready.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), output: () => log, stop });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code ?? signal} before it was ready: ${log}`));
    });
  });
}
