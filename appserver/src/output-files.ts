import { accessSync, closeSync, constants, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
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
      accessSync(existing ? pid : dirname(pid), constants.W_OK);
      if (!existing && !statSync(dirname(pid)).isDirectory()) throw Object.assign(new Error(`ENOTDIR: not a directory: ${dirname(pid)}`), { code: 'ENOTDIR' });
    });
  }
}

function attempt(key: OutputKey, file: string, sources: ConfigSources, check: () => void): void {
  try {
    check();
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    throw new ConfigError(key, `config: ${SETTINGS_BY_KEY.get(key)!.flag.slice(2)} cannot be written: ${file}: ${why} (from ${sources[key] ?? 'default'})`, { cause: err });
  }
}

function statOrNull(file: string): ReturnType<typeof statSync> | null {
  try {
    return statSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
