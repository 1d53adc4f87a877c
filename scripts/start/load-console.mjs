// The human console lives in @tsgi/arbiter (both CLIs print with it). The start
// script needs it before its own build step has run: on a fresh checkout the
// arbiter (and the errors package it needs) is built first, on its own.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

export async function loadConsole(root) {
  if (!existsSync(join(root, 'arbiter', 'dist', 'index.js'))) {
    const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
    const built = spawnSync(process.execPath, [tsc, '-b', 'arbiter'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    if (built.status !== 0) {
      process.stderr.write(`start: building @tsgi/arbiter failed (${built.status ?? built.signal})\n`);
      process.exit(1);
    }
  }
  return import('@tsgi/arbiter');
}
