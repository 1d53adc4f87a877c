#!/usr/bin/env node
import { ArbiterError, ArbiterHaltError, EXIT, checkTracingEnv, consoleFormat } from '@tsgi/arbiter';
import { messageOf, asError } from '@tsgi/errors';
import { ConfigError, ProxyError } from '../errors.js';
import { USAGE, loadConfig } from '../config/config.js';
import { createLogger } from './logger.js';
import { runMaster } from './master.js';
import { describeConfig } from '../config/describe-config.js';
import { TlsContexts } from '../listener/tls-contexts.js';
import { firstUnresolved, resolveUpstreamNames } from '../upstream/upstream-names.js';
import { configuredAnswers } from './proxy-worker.js';
import { adminToken } from '../admin/admin-token.js';

/** `tsgi-proxy`: parse config (exit 2 on any problem), then run under the arbiter (one master, `workers` workers). */
async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(argv, env);
    consoleFormat(env, process.stdout);
    checkTracingEnv(env);
  } catch (err) {
    if (err instanceof ArbiterError && (err.code === 'ARB_ERR_LOG_FORMAT' || err.code === 'ARB_ERR_TRACING_CONFIG')) {
      process.stderr.write(`config: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (loaded.cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (loaded.cli.version) {
    process.stdout.write('tsgi-proxy 0.1.0\n');
    return 0;
  }
  const { config } = loaded;
  // Certificates and keys are loaded here too (nginx -t does the same), so a bad pair is a config error, exit 2, before any socket opens.
  for (const [i, l] of config.listeners.entries()) {
    if (l.tls === undefined) continue;
    try {
      new TlsContexts(l.tls);
    } catch (err) {
      process.stderr.write(`config: listeners.${i}.tls ${messageOf(err).replace(/^tls: /, '')} (from ${loaded.path})\n`);
      return 2;
    }
  }
  // Error page files and the admin token file are read here too, so a missing one is a config error before any socket opens.
  let token: string | null;
  try {
    configuredAnswers(config);
    token = adminToken(config, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A message that names its own source (the environment) keeps it; the others came from the file.
    process.stderr.write(`${err.message}${/\(from [^)]+\)$/.test(err.message) ? '' : ` (from ${loaded.path})`}\n`);
    return 2;
  }
  if (loaded.cli.checkOnly) {
    // As nginx -t: an upstream name that does not resolve here is refused (--no-resolve skips this away from the deploy network).
    const unresolved = loaded.cli.resolveNames ? firstUnresolved(await resolveUpstreamNames(config)) : null;
    if (unresolved !== null) {
      process.stderr.write(`config: ${unresolved} (from ${loaded.path})\n`);
      return 2;
    }
    process.stdout.write(`${describeConfig(config, loaded.path)}\n`);
    return 0;
  }
  const log = createLogger(config, 'master');
  const reread = () => loadConfig(argv, env).config;
  try {
    return await runMaster(config, reread, log, token);
  } catch (err) {
    return reportStartupFailure(err);
  }
}

/** A listener or the admin port that cannot bind (or workers that could not boot): one line naming the key, exit 3 as tsgi-appserver. */
function reportStartupFailure(err: unknown): number {
  if (err instanceof ProxyError && err.code === 'PX_ERR_BIND') {
    process.stderr.write(`tsgi-proxy: ${err.message}\n`);
    return EXIT.WORKER_BOOT_ERROR;
  }
  if (err instanceof ArbiterHaltError) {
    process.stderr.write(`tsgi-proxy: ${err.message}\n`);
    return err.exitCode;
  }
  throw err;
}

// Started by a supervisor with an IPC channel (npm start): when that process dies
// the channel closes, and the server drains exactly as on SIGTERM.
if (process.channel) {
  process.channel.unref();
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
}

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
    // Give async log writes a moment, then leave even if a stray handle lingers.
    setTimeout(() => process.exit(code), 100).unref();
  },
  (err: unknown) => {
    process.stderr.write(`tsgi-proxy: ${asError(err).stack ?? messageOf(err)}\n`);
    process.exit(1);
  },
);
