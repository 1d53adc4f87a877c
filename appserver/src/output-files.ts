import { accessSync, closeSync, constants, mkdirSync, openSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { messageOf, errorCode } from '@tsgi/errors';
import type { AppserverConfig, ConfigSources } from './config.js';
import { ConfigError } from './errors.js';
import { SETTINGS_BY_KEY } from './settings.js';

type OutputKey = 'errorLogfile' | 'accessLogfile' | 'pid';

/**
 * Checks that the error log, the access log and the pid file can be written,
 * before any socket or worker exists. Without it an unwritable access log was
 * an unhandled 'error' event with a stack trace (and a worker boot loop on
 * HUP), and an unwritable error log or pid file a bare errno line with exit 1.
 * The logs are opened for append as pino will (creating their directory, as
 * its `mkdir` option does); the pid file is not created here.
 * Throws ConfigError naming the setting (exit 2).
 */
export function checkOutputFiles(config: Pick<AppserverConfig, OutputKey>, sources: ConfigSources): void {
  for (const key of ['errorLogfile', 'accessLogfile'] as const) {
    const file = config[key];
    if (file === null || file === '-') continue;
    attempt(key, file, sources, () => {
      mkdirSync(dirname(file), { recursive: true });
      closeSync(openSync(file, 'a'));
    });
  }
  const pid = config.pid;
  if (pid !== null) {
    attempt('pid', pid, sources, () => {
      const existing = statOrNull(pid);
      if (existing?.isDirectory()) throw Object.assign(new Error(`EISDIR: is a directory: ${pid}`), { code: 'EISDIR' });
      const owner = existing ? runningOwner(pid) : null;
      if (owner !== null) throw new Error(`it holds the pid of running process ${owner}; already running?`);
      accessSync(existing ? pid : dirname(pid), constants.W_OK);
      if (!existing && !statSync(dirname(pid)).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory: ${dirname(pid)}`), { code: 'ENOTDIR' });
    });
  }
}

function attempt(key: OutputKey, file: string, sources: ConfigSources, check: () => void): void {
  try {
    check();
  } catch (err) {
    const why = messageOf(err).split('\n')[0];
    throw new ConfigError(key, `config: ${SETTINGS_BY_KEY.get(key)!.flag.slice(2)} cannot be written: ${file}: ${why} (from ${sources[key] ?? 'default'})`, { cause: err });
  }
}

function statOrNull(file: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** The live process (not this one) whose pid the file holds, else null (gunicorn's Pidfile.validate): a stale file is overwritten. */
function runningOwner(file: string): number | null {
  const pid = readPid(file);
  if (pid === null || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return errorCode(err) === 'EPERM' ? pid : null;
  }
}

function readPid(file: string): number | null {
  try {
    const text = readFileSync(file, 'utf8').trim();
    return /^\d{1,10}$/.test(text) && Number(text) > 0 ? Number(text) : null;
  } catch {
    return null;
  }
}

/** Removes the pid file on exit only while it still names this process (another master may have taken it over). */
export function removeOwnPidFile(file: string): void {
  if (readPid(file) !== process.pid) return;
  try {
    unlinkSync(file);
  } catch {
    // Already removed.
  }
}
