import { messageOf } from '@tsgi/errors';
import { describeConfig, loadConfig } from './config.js';
import { loadApp } from './app-loader.js';
import { EXIT, checkTracingEnv, consoleFormat } from '@tsgi/arbiter';
import { ConfigError } from './errors.js';
import { checkOutputFiles } from './output-files.js';
import { reportStartupError, runMaster } from './master.js';
import { runCtl } from './control/ctl.js';

/**
 * `tsgi-appserver` without the process plumbing: parses argv/env, then runs
 * the master. Resolves the exit code (0 ok, 2 usage, 3 boot, 4 app load).
 */
export async function main(argv: readonly string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // `tsgi-appserver ctl ...`: a client of a running master's --control-socket, not a server.
  if (argv[0] === 'ctl') return runCtl(argv.slice(1), env);
  try {
    const loaded = await loadConfig(argv, env);
    if (loaded.print) {
      process.stdout.write(`${loaded.print}\n`);
      return EXIT.OK;
    }
    try {
      consoleFormat(env, process.stdout);
    } catch (err) {
      throw new ConfigError('LOG_FORMAT', `config: ${messageOf(err)}`, { cause: err });
    }
    try {
      checkTracingEnv(env);
    } catch (err) {
      throw new ConfigError('OTEL', `config: ${(err as Error).message}`, { cause: err });
    }
    if (loaded.config.checkConfig) {
      // The same check the master makes before forking: the module imports and has the export.
      await loadApp(loaded.config.app!, loaded.config.cwd, loaded.config.interface, loaded.config.allowDebug);
      checkOutputFiles(loaded.config, loaded.sources);
      process.stdout.write(`${describeConfig(loaded)}\n`);
      return EXIT.OK;
    }
    return await runMaster(loaded, argv, env);
  } catch (err) {
    return reportStartupError(err);
  }
}
