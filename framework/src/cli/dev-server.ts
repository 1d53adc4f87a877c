import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, relative } from 'node:path';
import { parseAppSpec, serve, watchForReload, type App, type RunningServer } from '@tsgi/gateway';
import { messageOf } from '@tsgi/errors';
import { CliError } from '../errors.js';
import { loadAppSpec } from './load-app.js';

export interface DevServerOptions {
  spec: string;
  cwd: string;
  host: string;
  port: number;
  debug: boolean;
  reload: boolean;
}

const two = (n: number): string => String(n).padStart(2, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Werkzeug's request line: `127.0.0.1 - - [08/Dec/2026 09:41:02] "GET / HTTP/1.1" 200 -`. */
function withRequestLog(app: App): App {
  return (environ, startResponse) =>
    app(environ, (status, headers, excInfo) => {
      const d = new Date();
      const when = `${two(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
      const target = `${environ.SCRIPT_NAME}${environ.PATH_INFO}${environ.QUERY_STRING ? `?${environ.QUERY_STRING}` : ''}`;
      process.stderr.write(`${environ.REMOTE_ADDR} - - [${when}] "${environ.REQUEST_METHOD} ${target} ${environ.SERVER_PROTOCOL}" ${status.slice(0, 3)} -\n`);
      return startResponse(status, headers, excInfo);
    });
}

/**
 * `tsgi run`: Flask's `flask run`. Without reload: imports the app and serves
 * it from this one process (the gateway's reference server) until INT/TERM.
 * With reload (the default): this process only supervises one such server
 * process, restarted on every change under the app's folder (a new process:
 * Node's ESM cache would keep the old modules); a change that does not load
 * leaves it waiting for the next one. Resolves the exit code.
 */
export async function runDevServer(options: DevServerOptions): Promise<number> {
  if (options.reload) return superviseWithRestart(options);
  // The framework's App reads TSGI_DEBUG when its options leave `debug` out.
  if (options.debug) process.env.TSGI_DEBUG = '1';
  const { app } = await loadAppSpec(options.spec, options.cwd);
  if (typeof app !== 'function') throw new CliError('FW_ERR_CLI_USAGE', `"${options.spec}" is not a TSGI app (a ${typeof app})`);
  let running: RunningServer;
  try {
    running = await serve(withRequestLog(app as App), { host: options.host, port: options.port });
  } catch (err) {
    throw new CliError('FW_ERR_CLI_USAGE', `cannot listen on ${options.host}:${options.port}: ${messageOf(err)}`, { cause: err });
  }
  const debugOn = (app as { config?: { debug?: unknown } }).config?.debug === true || options.debug;
  process.stdout.write(` * Serving TSGI app "${options.spec}"\n * Debug mode: ${debugOn ? 'on' : 'off'}\n`);
  if (debugOn) process.stdout.write(' * WARNING: the debug error page shows requests and stacks; never use it in production.\n');
  process.stdout.write(` * Running on ${running.url} (Press CTRL+C to quit)\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await running.close(1000);
  return 0;
}

/** Restarts the server process on each burst of changes under the app's folder; a server that exits waits for the next change. */
function superviseWithRestart(options: DevServerOptions): Promise<number> {
  const appDir = dirname(parseAppSpec(options.spec, options.cwd).file);
  const args = [
    ...process.execArgv,
    process.argv[1]!,
    'run',
    options.spec,
    '--no-reload',
    '--host',
    options.host,
    '--port',
    String(options.port),
    ...(options.debug ? ['--debug'] : []),
  ];
  let child: ChildProcess | undefined;
  let restart = false;
  let stopping = false;
  return new Promise((resolve) => {
    const start = (): void => {
      // The IPC channel closes if this supervisor dies, even by SIGKILL: the server then stops itself (see tsgi.ts).
      const server = spawn(process.execPath, args, { cwd: options.cwd, stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
      child = server;
      server.once('exit', (code, signal) => {
        child = undefined;
        if (stopping) return finish();
        if (restart) {
          restart = false;
          return start();
        }
        process.stdout.write(` * The server exited (${code ?? signal}); waiting for a change to restart it\n`);
      });
    };
    const watcher = watchForReload(
      appDir,
      [],
      options.cwd,
      (files) => {
        process.stdout.write(` * Detected change in ${files.map((f) => relative(options.cwd, f) || f).join(', ')}, reloading\n`);
        if (child === undefined) return start();
        restart = true;
        child.kill('SIGTERM');
      },
      (err) => process.stderr.write(`tsgi: watching ${appDir} stopped: ${err.message}\n`),
    );
    const finish = (): void => {
      watcher.close();
      resolve(0);
    };
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        stopping = true;
        if (child === undefined) finish();
        else child.kill(signal);
      });
    }
    process.stdout.write(` * Restarting on changes under ${appDir}\n`);
    start();
  });
}
