import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError as AppConfigError, loadConfig as loadAppConfig, type AppserverConfig } from '@tsgi/appserver';
import { ConfigError as ProxyConfigError, loadConfig as loadProxyConfig, type ProxyConfig } from '@tsgi/proxy';
import { StackConfigError } from '../errors.js';
import type { RenderedTier } from './k8s-render.js';

/**
 * The proxy's config read by tsgi-proxy's own loader (defaults < file < env < CLI), from its command line
 * (`--config FILE` and the rest) and environment. A config it refuses is its one line, as a StackConfigError.
 */
export function proxyConfigFrom(argv: string[], env: NodeJS.ProcessEnv, what: string): Readonly<ProxyConfig> {
  try {
    return loadProxyConfig(argv, env).config;
  } catch (err) {
    if (err instanceof ProxyConfigError) throw new StackConfigError(`${what}: ${err.message}`);
    throw err;
  }
}

/** The appserver's config read by tsgi-appserver's own loader, from its command line, `TSGI_*` environment and config file. */
export async function appConfigFrom(argv: string[], env: NodeJS.ProcessEnv, cwd: string, what: string): Promise<Readonly<AppserverConfig>> {
  try {
    return (await loadAppConfig(argv, env, cwd)).config;
  } catch (err) {
    if (err instanceof AppConfigError) throw new StackConfigError(`${what}: ${err.message}`);
    throw err;
  }
}

/**
 * The rendered proxy pod's config: its `--config` file comes from the ConfigMap mounted at that path,
 * written to a temporary file for the proxy's loader.
 */
export function renderedProxyConfig(tier: RenderedTier): Readonly<ProxyConfig> {
  const at = tier.args.indexOf('--config');
  const path = at >= 0 ? tier.args[at + 1] : tier.env.TSGI_PROXY_CONFIG;
  const what = `Deployment ${tier.deployment}`;
  if (path === undefined) throw new StackConfigError(`${what}: the proxy container names no --config file`);
  const text = tier.files.get(path);
  if (text === undefined) throw new StackConfigError(`${what}: ${path} is not mounted from a ConfigMap in the render`);
  const dir = mkdtempSync(join(tmpdir(), 'tsgi-check-stack-'));
  try {
    const file = join(dir, 'proxy.yaml');
    writeFileSync(file, text);
    const argv = at >= 0 ? tier.args.map((a, i) => (i === at + 1 ? file : a)) : ['--config', file, ...tier.args];
    return proxyConfigFrom(argv, { ...tier.env, TSGI_PROXY_CONFIG: file }, `${what} (${path})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rendered app pod's config: its container args and environment, read as the appserver would in the image (/app). */
export function renderedAppConfig(tier: RenderedTier): Promise<Readonly<AppserverConfig>> {
  return appConfigFrom(tier.args, tier.env, '/app', `Deployment ${tier.deployment}`);
}
