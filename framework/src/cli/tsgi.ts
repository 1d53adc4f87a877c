#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { messageOf } from '@tsgi/errors';
import { CliError } from '../errors.js';
import { runDevServer } from './dev-server.js';
import { loadAppSpec } from './load-app.js';
import { ROUTE_SORTS, routesTable, type RouteSort } from './routes-table.js';
import type { Rule } from '../routing/rule.js';

const USAGE = `Usage: tsgi <command> [options]

Commands:
  routes APP [--sort endpoint|methods|rule|match] [--all-methods]
      Print each route's endpoint, methods and rule (flask routes).
  run APP [--host 127.0.0.1] [--port 5000] [--debug] [--no-reload]
      Serve the app in a development server that restarts on changes
      under the app's folder (flask run). --debug shows the debug error
      page: never in production.

APP is path/to/app.ts:app (the export defaults to app, then default). A .ts
module needs Node >= 22.18 (type stripping), or node --import tsx.`;

/** Exit codes as tsgi-appserver: 2 usage, 4 the app module threw while importing. */
const EXIT = { OK: 0, USAGE: 2, APP_LOAD: 4 } as const;

function usage(message: string): never {
  throw new CliError('FW_ERR_CLI_USAGE', message);
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        sort: { type: 'string', short: 's' },
        'all-methods': { type: 'boolean' },
        host: { type: 'string', short: 'H' },
        port: { type: 'string', short: 'p' },
        debug: { type: 'boolean' },
        'no-reload': { type: 'boolean' },
        reload: { type: 'boolean' },
      },
    });
  } catch (err) {
    return usage(messageOf(err).split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const [command, spec, ...extra] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? EXIT.USAGE : EXIT.OK;
  }
  if (command !== 'routes' && command !== 'run') usage(`unknown command "${command}" (routes or run)`);
  if (spec === undefined) usage(`tsgi ${command} needs the app: tsgi ${command} path/to/app.ts:app`);
  if (extra.length > 0) usage(`unexpected argument "${extra[0]}"`);
  const cwd = process.cwd();
  if (command === 'routes') {
    const sort = (values.sort ?? 'endpoint') as RouteSort;
    if (!ROUTE_SORTS.includes(sort)) usage(`--sort must be one of ${ROUTE_SORTS.join(', ')}, got "${values.sort}"`);
    const { app } = await loadAppSpec(spec, cwd);
    const rules = (app as { urlMap?: { rules?: unknown } }).urlMap?.rules;
    if (!Array.isArray(rules)) usage(`"${spec}" is not a @tsgi/framework App (it has no urlMap)`);
    process.stdout.write(`${routesTable(rules as Rule[], sort, values['all-methods'] === true)}\n`);
    return EXIT.OK;
  }
  const portText = values.port ?? '5000';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) usage(`--port must be a port number 0-65535, got "${portText}"`);
  return runDevServer({ spec, cwd, host: values.host ?? '127.0.0.1', port, debug: values.debug === true, reload: values['no-reload'] !== true });
}

// Started by `tsgi run`'s supervisor (or another process manager) with an IPC channel: when that
// process dies the channel closes, and the server stops as on SIGTERM.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof CliError)) throw err;
  process.stderr.write(`tsgi: ${err.message}\n`);
  process.exitCode = err.code === 'FW_ERR_CLI_APP_LOAD' ? EXIT.APP_LOAD : EXIT.USAGE;
}
