#!/usr/bin/env node
// `npm start`: builds the workspace (TSGI_START_BUILD=0 skips it), then runs
// tsgi-stack (@tsgi/stack, stack/README.md) in this process: tsgi-proxy on
// :8080 in front of two tsgi-appservers, supervised, for the sample app unless
// TSGI_START_APP or `npm start -- --app module:export` names another app.
// Every other flag and variable is tsgi-stack's (`npm start -- --help`).
//
// Stopping during the build: TERM, INT or HUP stops tsc and exits 0; so does
// one between the build and tsgi-stack's start. After that, tsgi-stack's own
// guarantees hold (signals, orphaning, SIGKILL of this process: the tiers drain).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import './require-node.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const argv = process.argv.slice(2);
const json = (env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'json';

if (!argv.some((a) => a === '--app' || a.startsWith('--app=')) && !env.TSGI_START_APP) {
  env.TSGI_START_APP = `${join(root, 'sample-app', 'dist', 'app.js')}:app`;
}

/** @param {'info' | 'error'} level @param {string} msg */
function say(level, msg) {
  const line = json ? JSON.stringify({ level: level === 'info' ? 30 : 50, time: Date.now(), pid: process.pid, tier: 'start', msg }) : `start: ${msg}`;
  (level === 'info' ? process.stdout : process.stderr).write(`${line}\n`);
}

/**
 * tsc -b over the workspace; TERM, INT or HUP meanwhile stops it and exits 0.
 * @returns {Promise<void>}
 */
function build() {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  say('info', 'building (tsc -b)');
  const child = spawn(process.execPath, [tsc, '-b', 'tsconfig.json'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    child.kill('SIGTERM');
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  return new Promise(/** @param {(value?: void) => void} resolve */ (resolve) => {
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, onSignal);
      if (stopped) process.exit(0);
      if (code !== 0) {
        say('error', `build failed (${code ?? signal})`);
        process.exit(1);
      }
      resolve();
    });
  });
}

if (env.TSGI_START_BUILD !== '0') await build();
// Between the build and tsgi-stack's own handlers (installed as it starts, before any tier), a signal
// still ends the start script with exit 0: nothing runs yet. Once tsgi-stack listens, the signal is its.
const beforeStack = (/** @type {NodeJS.Signals} */ signal) => {
  if (process.listenerCount(signal) === 1) process.exit(0);
};
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, beforeStack);
await import('../stack/bin/tsgi-stack.js');
