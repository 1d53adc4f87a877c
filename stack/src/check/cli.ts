#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { CommandLineError, parseCommandLine } from '@tsgi/arbiter';
import { errorCode, messageOf } from '@tsgi/errors';
import { StackConfigError, StackError } from '../errors.js';
import { checkStack } from './invariants.js';
import { readRender, type Rendered } from './k8s-render.js';
import { appConfigFrom, proxyConfigFrom, renderedAppConfig, renderedProxyConfig } from './tier-configs.js';

const HELP = `Usage: tsgi-check-stack [--proxy-config FILE] [--k8s FILE|-] [-- APPSERVER-ARGS...]

Checks that the settings of the two tiers fit together: the proxy pool's idle timeout
below the appserver's keep-alive, the proxy's head and body limits at most the
appserver's, forwarded.trust against --forwarded-allow-ips and, with --k8s, each
tier's preStop + drain below terminationGracePeriodSeconds, the NetworkPolicy that
--forwarded-allow-ips '*' needs and the production image placeholders.

  --proxy-config FILE  the tsgi-proxy config (else TSGI_PROXY_CONFIG, else the render's)
  --k8s FILE|-         a rendered overlay: kubectl kustomize k8s/overlays/production
                       (- reads stdin); the tiers are the Deployments whose first
                       container is named "app" and "proxy"
  -- ARGS              the appserver's command line as you run it (module:export and
                       flags); its TSGI_* environment and config file are read as
                       tsgi-appserver reads them. Default: the render's app container
  -h, --help

One line per violation and exit 2; exit 0 with a short summary when all hold.`;

interface Request {
  proxyConfig: string | undefined;
  k8s: string | undefined;
  appArgs: string[] | undefined;
  help: boolean;
}

function parse(argv: string[], env: NodeJS.ProcessEnv): Request {
  const dashes = argv.indexOf('--');
  const own = dashes < 0 ? argv : argv.slice(0, dashes);
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(own, [{ name: 'proxy-config', type: 'string' }, { name: 'k8s', type: 'string' }, { name: 'help', short: 'h', type: 'boolean' }]);
  } catch (err) {
    if (err instanceof CommandLineError) throw new StackConfigError(err.code === 'ARB_ERR_CLI_UNKNOWN_FLAG' ? `unknown option ${err.flag} (try --help)` : `${err.flag} needs a value`);
    throw err;
  }
  if (parsed.positionals.length > 0) throw new StackConfigError(`unexpected argument "${parsed.positionals[0]}": the appserver's arguments go after --`);
  const value = (name: string): string | undefined => parsed.values.findLast((v) => v.name === name)?.value as string | undefined;
  return {
    proxyConfig: value('proxy-config') ?? env.TSGI_PROXY_CONFIG,
    k8s: value('k8s'),
    appArgs: dashes < 0 ? undefined : argv.slice(dashes + 1),
    help: parsed.values.some((v) => v.name === 'help' && v.value === true),
  };
}

function readInput(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (err) {
    throw new StackConfigError(`--k8s ${path} cannot be read (${errorCode(err) ?? messageOf(err)})`);
  }
}

async function main(): Promise<number> {
  try {
    const req = parse(process.argv.slice(2), process.env);
    if (req.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const k8s: Rendered | undefined = req.k8s === undefined ? undefined : readRender(readInput(req.k8s), req.k8s === '-' ? 'the render on stdin' : req.k8s);
    if (req.proxyConfig === undefined && k8s === undefined) throw new StackConfigError('--proxy-config FILE (or TSGI_PROXY_CONFIG) or --k8s FILE is required (try --help)');
    if (req.appArgs === undefined && k8s === undefined) throw new StackConfigError("the appserver's arguments are required after -- (as you run tsgi-appserver), or --k8s FILE");
    // A file or command line given here wins over the render's.
    const proxy = req.proxyConfig !== undefined ? proxyConfigFrom(['--config', req.proxyConfig], process.env, 'the proxy config') : renderedProxyConfig(k8s!.proxy);
    const app = req.appArgs !== undefined ? await appConfigFrom(req.appArgs, process.env, process.cwd(), 'the appserver config') : await renderedAppConfig(k8s!.app);
    const verdict = checkStack(proxy, app, k8s);
    if (verdict.violations.length > 0) {
      for (const line of verdict.violations) process.stderr.write(`tsgi-check-stack: ${line}\n`);
      return 2;
    }
    process.stdout.write(`tsgi-check-stack: ok: ${verdict.summary.join('; ')}\n`);
    return 0;
  } catch (err) {
    if (err instanceof StackError) {
      process.stderr.write(`tsgi-check-stack: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

process.exit(await main());
