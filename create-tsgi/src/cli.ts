#!/usr/bin/env node
import { relative } from 'node:path';
import { CreateTsgiError } from './errors.js';
import { parseCommand, USAGE } from './options.js';
import { scaffold } from './scaffold.js';

/** Runs create-tsgi; returns the exit code (0, or 2 for any usage error, printed as one line). */
function main(argv: readonly string[]): number {
  try {
    const command = parseCommand(argv, process.cwd());
    if (command.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const { options } = command;
    const result = scaffold(options);
    const rel = relative(process.cwd(), options.target);
    const cd = rel === '' ? '.' : rel.startsWith('..') ? options.target : rel;
    const from = result.vendored.length > 0 ? ` (the @tsgi packages from vendor/: ${result.vendored.join(', ')})` : '';
    process.stdout.write(
      `Created ${options.name} (template ${options.template}) in ${options.target}${from}\n\n` +
        `  cd ${cd}\n` +
        `  npm install\n` +
        `  npm run dev        # one appserver, reloads on every change: http://127.0.0.1:8000/\n` +
        `  npm test\n` +
        `  npm start          # the local stack: tsgi-proxy in front of two appservers, on http://127.0.0.1:8080/\n` +
        `  docker compose up --build --scale app=3\n\n` +
        `README.md says more (containers, Kubernetes, load tests).\n`,
    );
    return 0;
  } catch (err) {
    if (err instanceof CreateTsgiError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exitCode = main(process.argv.slice(2));
